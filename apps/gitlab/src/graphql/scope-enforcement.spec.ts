import {
  type ExecutionResult,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  execute,
  parse,
} from 'graphql';
import { GRAPHQL_RESOURCE_ACCESS_ERROR } from '#contracts';
import { enforceScopes, fieldGate, gateAllows } from './scope-enforcement.js';
import { DEFAULT_MUTATION_SCOPES, DEFAULT_READ_SCOPES, SCOPES_EXTENSION, scopesAllow } from './scopes.js';

const scoped = (...scopes: string[]) => ({ [SCOPES_EXTENSION]: scopes });

/**
 * A schema shaped like GitLab's pieces: an undeclared type (Issue), a type and fields declared
 * for ai_features (Message), a field override on an undeclared type (Issue.summary), an
 * undeclared mutation (update) and one declared for ai_features (chat).
 */
function testSchema(): GraphQLSchema {
  const Issue = new GraphQLObjectType({
    name: 'Issue',
    fields: {
      title: { type: GraphQLString },
      summary: { type: GraphQLString, extensions: scoped('api', 'read_api', 'ai_features') },
    },
  });
  const Message = new GraphQLObjectType({
    name: 'Message',
    extensions: scoped('api', 'read_api', 'ai_features'),
    fields: {
      content: { type: GraphQLString, extensions: scoped('api', 'read_api', 'ai_features') },
      // Undeclared field on a declared type: the type's declaration does not widen it.
      internalNote: { type: GraphQLString },
    },
  });
  const Payload = new GraphQLObjectType({ name: 'UpdatePayload', fields: { title: { type: GraphQLString } } });
  const ChatPayload = new GraphQLObjectType({
    name: 'ChatPayload',
    extensions: scoped('api', 'ai_features'),
    fields: { requestId: { type: GraphQLString, extensions: scoped('api', 'ai_features') }, clientMutationId: { type: GraphQLString } },
  });
  const issue = { title: 'Typeahead', summary: 'short', content: 'hi', internalNote: 'secret', requestId: 'r-1', clientMutationId: 'c-1' };
  return enforceScopes(
    new GraphQLSchema({
      query: new GraphQLObjectType({
        name: 'Query',
        fields: {
          issue: { type: Issue, resolve: () => issue },
          message: { type: Message, extensions: scoped('api', 'read_api', 'ai_features'), resolve: () => issue },
          // Undeclared root field returning a declared type: the field's default still applies.
          plainMessage: { type: Message, resolve: () => issue },
          messages: { type: new GraphQLNonNull(new GraphQLList(Message)), extensions: scoped('api', 'read_api', 'ai_features'), resolve: () => [issue] },
        },
      }),
      mutation: new GraphQLObjectType({
        name: 'Mutation',
        fields: {
          update: { type: Payload, resolve: () => issue },
          chat: { type: ChatPayload, extensions: scoped('api', 'ai_features'), resolve: () => issue },
        },
      }),
    }),
  );
}

const run = (schema: GraphQLSchema, query: string, tokenScopes: readonly string[] | undefined): ExecutionResult =>
  execute({ schema, document: parse(query), contextValue: { actor: undefined, tokenScopes } }) as ExecutionResult;

describe('scope declarations and their enforcement', () => {
  const schema = testSchema();

  it('gives an undeclared field and type the safe default: api and read_api, not ai_features', () => {
    const gate = fieldGate(schema, schema.getType('Issue') as GraphQLObjectType, 'title');
    expect(gate.permitted).toEqual([DEFAULT_READ_SCOPES]);
    expect(gateAllows(gate, ['read_api'])).toBe(true);
    expect(gateAllows(gate, ['ai_features'])).toBe(false);
    expect(run(schema, '{ issue { title } }', ['ai_features'])).toEqual({ data: { issue: null } });
    expect(run(schema, '{ issue { title } }', ['read_api'])).toEqual({ data: { issue: { title: 'Typeahead' } } });
  });

  it('widens only where declared: a field override does not open its undeclared type, a type declaration not its undeclared fields', () => {
    // Issue.summary admits ai_features, but Issue (undeclared) does not: the object is null.
    expect(run(schema, '{ issue { summary } }', ['ai_features'])).toEqual({ data: { issue: null } });
    // Message admits ai_features; its declared field too, its undeclared field not.
    expect(run(schema, '{ message { content internalNote } }', ['ai_features'])).toEqual({
      data: { message: { content: 'hi', internalNote: null } },
    });
    expect(run(schema, '{ message { content internalNote } }', ['api'])).toEqual({
      data: { message: { content: 'hi', internalNote: 'secret' } },
    });
  });

  it('admits ai_features at the top level without opening the fields below it', () => {
    expect(run(schema, '{ __typename }', ['ai_features'])).toEqual({ data: { __typename: 'Query' } });
    expect(run(schema, '{ issue { title } message { content } plainMessage { content } }', ['ai_features'])).toEqual({
      data: { issue: null, message: { content: 'hi' }, plainMessage: null },
    });
  });

  it('holds a mutation to api by default and raises the resource access error when denied', () => {
    expect(fieldGate(schema, schema.getMutationType()!, 'update').permitted).toContainEqual(DEFAULT_MUTATION_SCOPES);
    for (const scopes of [['read_api'], ['ai_features']]) {
      const result = run(schema, 'mutation { update { title } }', scopes);
      expect(result.data).toEqual({ update: null });
      expect(result.errors?.map((e) => ({ message: e.message, path: e.path }))).toEqual([{ message: GRAPHQL_RESOURCE_ACCESS_ERROR, path: ['update'] }]);
    }
    expect(run(schema, 'mutation { update { title } }', ['api'])).toEqual({ data: { update: { title: 'Typeahead' } } });
  });

  it('lets a mutation declared for ai_features run with it, its payload fields as declared', () => {
    expect(run(schema, 'mutation { chat { requestId clientMutationId } }', ['ai_features'])).toEqual({
      data: { chat: { requestId: 'r-1', clientMutationId: null } },
    });
    const readApi = run(schema, 'mutation { chat { requestId } }', ['read_api']);
    expect(readApi.errors?.[0]?.message).toBe(GRAPHQL_RESOURCE_ACCESS_ERROR);
  });

  it('does not limit a session or an anonymous request (not an API user)', () => {
    expect(scopesAllow(undefined, ['api'])).toBe(true);
    expect(run(schema, 'mutation { update { title } }', undefined)).toEqual({ data: { update: { title: 'Typeahead' } } });
  });

  it('answers a denied non-null field with the non-null error, as graphql-ruby does', () => {
    // read_user passes no declaration: the field is null, which its non-null type does not allow.
    const result = run(schema, '{ messages { content } }', ['read_user']);
    expect(result.data).toBeNull();
    expect(result.errors?.map((e) => e.message)).toEqual(['Cannot return null for non-nullable field Query.messages.']);
  });
});
