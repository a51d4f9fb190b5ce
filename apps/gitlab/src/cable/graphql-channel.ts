import type { ExecutionResult } from 'graphql';
import type { Logger } from 'pino';
import type { GraphqlChannelMessage } from '#contracts';
import type { Actor } from '../auth/actor.js';
import type { GraphqlSubscriptionRequest, GraphqlSubscriptions } from '../graphql/graphql-subscriptions.port.js';

/** What a channel subscription may send on its connection (its identifier is added by the connection). */
export interface ChannelTransport {
  /** A channel message: `{"identifier":...,"message":<message>}`. */
  transmit(message: GraphqlChannelMessage): void;
  /** `confirm_subscription`. */
  confirm(): void;
  /** `reject_subscription`; the connection forgets the subscription. */
  reject(): void;
}

/** Gitlab::Graphql::Variables::Invalid: the `variables` param is neither an object, a JSON object string, empty nor absent. */
export class InvalidVariablesError extends Error {}

/**
 * GitLab's `Gitlab::Graphql::Variables.new(params['variables']).to_h`
 * (lib/gitlab/graphql/variables.rb): an object as is; a string parsed as JSON (empty -> {}); nil
 * -> {}; anything else -> Invalid "Unexpected parameter: ...".
 */
export function channelVariables(value: unknown): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value === 'string') {
    if (value.trim() === '') return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new InvalidVariablesError('Unexpected parameter: variables are not valid JSON');
    }
    return channelVariables(parsed);
  }
  if (typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  throw new InvalidVariablesError(`Unexpected parameter: ${JSON.stringify(value).slice(0, 100)}`);
}

/** The GraphQL request a GraphqlChannel identifier's params carry (graphql_channel.rb `subscribed`). */
export function channelRequest(params: Record<string, unknown>): GraphqlSubscriptionRequest {
  // `params['query'].to_s`: a missing query is the empty document, which GraphQL refuses.
  const query = typeof params.query === 'string' ? params.query : params.query === undefined || params.query === null ? '' : String(params.query);
  const operationName = typeof params.operationName === 'string' ? params.operationName : null;
  return { query, variables: channelVariables(params.variables), operationName };
}

function isIterator(value: AsyncIterableIterator<ExecutionResult> | ExecutionResult): value is AsyncIterableIterator<ExecutionResult> {
  return typeof (value as Partial<AsyncIterableIterator<ExecutionResult>>)[Symbol.asyncIterator] === 'function';
}

/** An ExecutionResult as JSON would carry it (GraphQLError's toJSON: message, locations, path, extensions). */
function resultJson(result: ExecutionResult): NonNullable<GraphqlChannelMessage['result']> {
  return JSON.parse(JSON.stringify(result)) as NonNullable<GraphqlChannelMessage['result']>;
}

/**
 * One GraphqlChannel subscription (app/channels/graphql_channel.rb): the subscription's GraphQL
 * operation runs through the GraphqlSubscriptions port with the connection's actor, and its
 * results go out as graphql-ruby's ActionCableSubscriptions sends them:
 *
 * - a subscription the schema accepts: the first answer `{result: {data: {}}, more: true}` (the
 *   initial execution's `result.to_h`; GitLab's subscription fields answer nothing on subscribe,
 *   graphql-ruby `Subscription#subscribe` -> `:no_response` -> `context.skip`), then
 *   `confirm_subscription`, then one `{result, more: true}` per event (`deliver`), and `{more:
 *   false}` when the server ends it (`delete_subscription`);
 * - an operation that is refused, invalid or no subscription: its one result, `{result, more:
 *   false}`, then `confirm_subscription` (GitLab confirms whatever `subscribed` transmitted);
 * - invalid `variables`: `{errors: [{message}]}` (GraphqlChannel's `rescue_from
 *   Gitlab::Graphql::Variables::Invalid`), then `reject_subscription`. Deliberately not GitLab's:
 *   Rails applies a channel's rescue_from to actions only, so GitLab logs the error and sends
 *   nothing, leaving the client waiting.
 *
 * Unsubscribing ends the operation's iterator (`return()`); nothing more is sent.
 */
export class GraphqlChannelSubscription {
  private iterator: AsyncIterableIterator<ExecutionResult> | undefined;
  private closed = false;

  constructor(
    private readonly params: Record<string, unknown>,
    private readonly transport: ChannelTransport,
    private readonly graphql: GraphqlSubscriptions,
    private readonly logger: Logger,
  ) {}

  /** Runs the subscription for `actor` (undefined: anonymous); resolves once it has ended or was unsubscribed. */
  async subscribed(actor: Actor | undefined): Promise<void> {
    let request: GraphqlSubscriptionRequest;
    try {
      request = channelRequest(this.params);
    } catch (e) {
      if (!(e instanceof InvalidVariablesError)) throw e;
      this.transport.transmit({ errors: [{ message: e.message }] });
      this.transport.reject();
      return;
    }
    const outcome = await this.graphql.subscribe(request, actor);
    if (!isIterator(outcome)) {
      if (this.closed) return;
      this.transport.transmit({ result: resultJson(outcome), more: false });
      this.transport.confirm();
      return;
    }
    if (this.closed) {
      await outcome.return?.();
      return;
    }
    this.iterator = outcome;
    this.transport.transmit({ result: { data: {} }, more: true });
    this.transport.confirm();
    await this.pump(outcome);
  }

  /** The client unsubscribed or the connection closed: ends the operation, sends nothing more. */
  unsubscribed(): void {
    if (this.closed) return;
    this.closed = true;
    void this.iterator?.return?.()?.catch(() => undefined);
  }

  private async pump(iterator: AsyncIterableIterator<ExecutionResult>): Promise<void> {
    try {
      for (;;) {
        const next = await iterator.next();
        if (this.closed) return;
        if (next.done) break;
        this.transport.transmit({ result: resultJson(next.value), more: true });
      }
    } catch (e) {
      if (this.closed) return;
      // An event source failed: the subscription ends as when the server deletes it.
      this.logger.warn({ err: { name: (e as Error).name } }, 'GraphqlChannel subscription stream failed');
    }
    this.closed = true;
    this.transport.transmit({ more: false });
  }
}
