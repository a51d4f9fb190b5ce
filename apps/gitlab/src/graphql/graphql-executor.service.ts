import { Inject, Injectable } from '@nestjs/common';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import {
  type DocumentNode,
  type ExecutionResult,
  GraphQLError,
  type OperationDefinitionNode,
  execute,
  getOperationAST,
  parse,
  subscribe,
  validate,
} from 'graphql';
import type { Actor } from '../auth/actor.js';
import { type GraphqlContext, graphqlContext } from './graphql-context.js';
import { type GraphqlSubscriptionRequest, GraphqlSubscriptions } from './graphql-subscriptions.port.js';
import { checkQueryLimits, queryLimitsFor } from './query-limits.js';

/** One GraphQL request: the query text, its variables and the operation to run. */
export type GraphqlRequest = GraphqlSubscriptionRequest;

/** graphql-ruby's answer to an empty query. */
export const NO_QUERY_STRING = 'No query string was present';
/** Subscriptions run over ActionCable (/-/cable, GraphqlChannel), not over HTTP. */
export const SUBSCRIPTION_OVER_HTTP = 'Subscriptions are only available over ActionCable (/-/cable, GraphqlChannel)';
/** GitlabSchema `validate_max_errors 5`. */
const VALIDATE_MAX_ERRORS = 5;
/** Query texts whose parse and validation outcome is kept (mercurius' `cache` does the same). */
const DOCUMENT_CACHE_SIZE = 1024;

/** A query text parsed and validated against the schema: the document, or the errors. */
type Checked = { document: DocumentNode; errors?: undefined } | { document?: undefined; errors: readonly GraphQLError[] };

interface Prepared {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  context: GraphqlContext;
}

function failure(...errors: GraphQLError[]): ExecutionResult {
  return { errors };
}

/**
 * Runs GraphQL operations against the app's schema for every transport: POST/GET /api/graphql
 * (`execute`) and ActionCable's GraphqlChannel through the GraphqlSubscriptions port
 * (`subscribe`). Each operation is parsed, validated (graphql-js rules, at most 5 errors),
 * held to the user's depth and complexity limits, then run with the actor's context; scope
 * enforcement happens inside the schema (scope-enforcement.ts). Bad input is always an
 * ExecutionResult with `errors`, never an exception.
 */
@Injectable()
export class GraphqlExecutor extends GraphqlSubscriptions {
  constructor(@Inject(GraphQLSchemaHost) private readonly schemaHost: GraphQLSchemaHost) {
    super();
  }

  /** Parse and validation depend on the query text alone (the schema is fixed): kept per text, oldest evicted first. */
  private readonly checked = new Map<string, Checked>();

  private check(query: string): Checked {
    const cached = this.checked.get(query);
    if (cached) return cached;
    let result: Checked;
    try {
      const document = parse(query);
      const errors = validate(this.schemaHost.schema, document, undefined, { maxErrors: VALIDATE_MAX_ERRORS });
      result = errors.length ? { errors } : { document };
    } catch (e) {
      if (!(e instanceof GraphQLError)) throw e;
      result = { errors: [e] };
    }
    if (this.checked.size >= DOCUMENT_CACHE_SIZE) this.checked.delete(this.checked.keys().next().value!);
    this.checked.set(query, result);
    return result;
  }

  private prepare(request: GraphqlRequest, actor: Actor | undefined): Prepared | ExecutionResult {
    if (typeof request.query !== 'string' || request.query.trim() === '') return failure(new GraphQLError(NO_QUERY_STRING));
    const checked = this.check(request.query);
    if (!checked.document) return failure(...checked.errors);
    const { document } = checked;
    const operation = getOperationAST(document, request.operationName ?? undefined);
    if (!operation) {
      return failure(
        new GraphQLError(request.operationName ? `Unknown operation named "${request.operationName}".` : 'An operation name is required'),
      );
    }
    const overLimits = checkQueryLimits(document, operation, queryLimitsFor(actor?.user));
    if (overLimits.length) return failure(...overLimits);
    return { document, operation, context: graphqlContext(actor) };
  }

  /** Whether the selected operation of `request` is a mutation (GraphqlController `mutation?`); false when it is not a valid document. */
  isMutation(request: GraphqlRequest): boolean {
    if (typeof request.query !== 'string' || request.query.trim() === '') return false;
    const { document } = this.check(request.query);
    return document ? getOperationAST(document, request.operationName ?? undefined)?.operation === 'mutation' : false;
  }

  /** Runs a query or mutation; a subscription is refused (it needs ActionCable). */
  async execute(request: GraphqlRequest, actor: Actor | undefined): Promise<ExecutionResult> {
    const prepared = this.prepare(request, actor);
    if (!('document' in prepared)) return prepared;
    if (prepared.operation.operation === 'subscription') return failure(new GraphQLError(SUBSCRIPTION_OVER_HTTP));
    return this.run(prepared, request);
  }

  private async run(prepared: Prepared, request: GraphqlRequest): Promise<ExecutionResult> {
    return execute({
      schema: this.schemaHost.schema,
      document: prepared.document,
      variableValues: request.variables ?? undefined,
      operationName: request.operationName ?? undefined,
      contextValue: prepared.context,
    });
  }

  /**
   * The port's subscribe: a subscription operation gives an iterator of results (one per
   * event) or, refused, one result with errors (scope denial, another user's userId,
   * validation); a query or mutation is executed once and its result returned, as
   * GraphqlChannel#subscribed transmits a non-subscription's result with `more: false`.
   */
  override async subscribe(request: GraphqlSubscriptionRequest, actor: Actor | undefined): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
    const prepared = this.prepare(request, actor);
    if (!('document' in prepared)) return prepared;
    if (prepared.operation.operation !== 'subscription') return this.run(prepared, request);
    return subscribe({
      schema: this.schemaHost.schema,
      document: prepared.document,
      variableValues: request.variables ?? undefined,
      operationName: request.operationName ?? undefined,
      contextValue: prepared.context,
    });
  }
}
