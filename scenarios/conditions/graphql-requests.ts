/**
 * Seed 004's first curl call verbatim, requests GraphQL must refuse as requests (malformed,
 * unknown field, too deep, too large) without a 5xx, and the seed's flow replayed for the
 * sequence diagram.
 *
 * Request errors follow the GraphQL specification (October 2021, §7.1.2 "Errors": a request
 * error raised before execution leaves `data` out; every error has a `message`) and GraphQL over
 * HTTP (Current Working Draft, "application/json": the server SHOULD use 200 for every response
 * to a well-formed GraphQL-over-HTTP request whatever GraphQL errors it carries; a request that is
 * not well-formed — a body that is not JSON — gets a 4xx).
 */
import { GRAPHQL_CONTROLLER_ERROR, GRAPHQL_LIMITS } from '#contracts';
import { expectThat, shownBody } from '../checks/expect.js';
import { dataAt, postGraphql, postRawGraphql, type GraphqlAnswer } from '../clients/graphql-http.js';
import { condition, type ConditionEnv } from '../runner/condition.js';
import type { DiagramReplay } from './diagram.js';
import {
  expectGranted,
  expectSchemaDenied,
  graphqlIssueOf,
  restoreDescriptionAfterwards,
  scopedPatOf,
  seedAiAction,
  seedUpdateIssue,
  streamChat,
  uniqueDescription,
  userGidOf,
  withMinimalAuthMethods,
  type GraphqlIssue,
} from './graphql.js';
import type { GitlabRole } from './needs.js';

/** The seed's first curl call, verbatim: the ai_features token calls aiAction(chat) and gets a requestId. */
export const SeedAiActionCall = (role: GitlabRole) =>
  condition({
    name: 'EnsureAiFeaturesTokenCallsDuoChat',
    title: "The seed's first call: aiAction(input: {chat: {content: \"Hello\"}}) with the ai_features token (Private-Token) returns a requestId",
    needs: { pat: scopedPatOf(role, 'ai_features') },
    async evaluate({ pat }, env) {
      await withMinimalAuthMethods(env, role);
      const answer = await postGraphql(env.http('ide', role), seedAiAction(), { privateToken: pat }, 'GraphQL aiAction(chat) (ai_features, seed)');
      expectGranted(answer, 'aiAction', "the seed's aiAction call with the ai_features token");
      expectThat(typeof dataAt(answer, ['aiAction', 'requestId']) === 'string', 'aiAction returned no requestId', { expected: { 'data.aiAction.requestId': 'a string' }, actual: shownBody(answer.res), res: answer.res });
    },
  });

/** A request GraphQL refuses before executing it. */
export interface RequestErrorVariant {
  what: string;
  send(env: ConditionEnv, role: GitlabRole, pat: string): Promise<GraphqlAnswer>;
  /** How the answer must look. */
  rule: 'graphql-request-error' | 'status-4xx' | 'status-200' | 'query-too-large';
}

const post = (query: string, what: string): RequestErrorVariant['send'] => (env, role, pat) => postGraphql(env.http('ide', role), { query }, { privateToken: pat }, `GraphQL ${what} (api)`);

/** `{ __type(name: "Query") { fields { type { fields { type ... } } } } }`, `levels` pairs deep: valid against any schema, so only a depth limit refuses it. */
export function deepQuery(levels: number): string {
  return `{ __type(name: "Query") { ${'fields { type { '.repeat(levels)}name${' } }'.repeat(levels)} } }`;
}

export const requestErrorVariants = {
  syntaxError: { what: 'a query with a syntax error', send: post('{ currentUser { id }', 'syntax error'), rule: 'graphql-request-error' },
  syntaxErrorStatus: { what: 'a query with a syntax error (application/json)', send: post('{ currentUser { id }', 'syntax error'), rule: 'status-200' },
  unknownField: { what: 'a query selecting a field the schema does not have', send: post('{ currentUser { noSuchField } }', 'unknown field'), rule: 'graphql-request-error' },
  tooDeep: {
    what: `a query nested deeper than GitLab's limit (${GRAPHQL_LIMITS.AUTHENTICATED_MAX_DEPTH} for an authenticated user)`,
    send: post(deepQuery(GRAPHQL_LIMITS.AUTHENTICATED_MAX_DEPTH), 'too deep'),
    rule: 'graphql-request-error',
  },
  notJson: {
    what: 'a body that is not JSON',
    send: (env, role, pat) => postRawGraphql(env.http('ide', role), '{"query": "{ currentUser { id } }"', { privateToken: pat }, 'GraphQL body not JSON (api)'),
    rule: 'status-4xx',
  },
  tooLarge: {
    what: `a query longer than ${GRAPHQL_LIMITS.MAX_QUERY_SIZE} characters`,
    send: post(`{ currentUser { id } }\n#${'x'.repeat(GRAPHQL_LIMITS.MAX_QUERY_SIZE)}`, 'too large'),
    rule: 'query-too-large',
  },
} satisfies Record<string, RequestErrorVariant>;

/** GraphQL refuses the request as a request: never a 5xx, always the error shape its rule names. */
export const RefusesBadRequest = (role: GitlabRole, variant: RequestErrorVariant) =>
  condition({
    name: 'EnsureBadRequestGetsGraphqlErrors',
    title: `${variant.what[0]!.toUpperCase()}${variant.what.slice(1)} -> ${RULE_TITLE[variant.rule]}`,
    needs: { pat: scopedPatOf(role, 'api') },
    async evaluate({ pat }, env) {
      const answer = await variant.send(env, role, pat);
      const status = answer.res.status;
      const actual = { status, body: shownBody(answer.res) };
      const res = answer.res;
      switch (variant.rule) {
        case 'graphql-request-error': {
          const shaped = answer.isGraphqlResponse && answer.errors.length > 0 && answer.errors.every((e) => typeof e?.message === 'string') && (answer.data === undefined || answer.data === null);
          expectThat(status < 500 && shaped, `${variant.what} was not answered with GraphQL errors (no 5xx, errors[] with messages, no data)`, {
            expected: { status: 'not 5xx', body: { errors: [{ message: '...' }] } },
            actual,
            res,
          });
          break;
        }
        case 'status-200':
          expectThat(status === 200 && answer.errors.length > 0, `${variant.what} was not answered 200 with errors`, { expected: { status: 200, errors: '[...]' }, actual, res });
          break;
        case 'status-4xx':
          expectThat(status >= 400 && status < 500, `${variant.what} was not answered with a 4xx`, { expected: { status: '4xx' }, actual, res });
          break;
        case 'query-too-large':
          expectThat(status === 422 && answer.errors[0]?.message === GRAPHQL_CONTROLLER_ERROR.QUERY_TOO_LARGE, `${variant.what} was not refused as GitLab refuses it`, {
            expected: { status: 422, body: { errors: [{ message: GRAPHQL_CONTROLLER_ERROR.QUERY_TOO_LARGE }] } },
            actual,
            res,
          });
          break;
      }
    },
  });

const RULE_TITLE: Record<RequestErrorVariant['rule'], string> = {
  'graphql-request-error': 'GraphQL errors (errors[] with messages, no data), never a 5xx',
  'status-200': 'HTTP 200 with errors[] (application/json)',
  'status-4xx': 'a 4xx, never a 5xx',
  'query-too-large': '422 {"errors":[{"message":"Query too large"}]}',
};

/**
 * Seed 004's flow for the sequence diagram: the IDE subscribes to aiCompletionResponse with its
 * ai_features token and sends aiAction(chat); GitLab asks the AI gateway (instance token), the
 * gateway the model; the answer streams back to the subscription. Then the seed's contrast:
 * updateIssue with the api token is served, with the ai_features token refused.
 */
export function seedFlow(role: GitlabRole): DiagramReplay {
  return {
    flow: 'subscribe with the ai_features token, aiAction(chat), the streamed answer; then updateIssue with the api and the ai_features token',
    async prepare(env) {
      await withMinimalAuthMethods(env, role);
      const issue = await env.need(graphqlIssueOf(role));
      const prepared = {
        aiPat: await env.need(scopedPatOf(role, 'ai_features')),
        apiPat: await env.need(scopedPatOf(role, 'api')),
        userGid: await env.need(userGidOf(role)),
        issue,
      };
      await restoreDescriptionAfterwards(env, role, issue);
      return prepared;
    },
    async run(env, prepared) {
      const { aiPat, apiPat, userGid, issue } = prepared as { aiPat: string; apiPat: string; userGid: string; issue: GraphqlIssue };
      await streamChat(env, role, aiPat, userGid);
      const granted = await postGraphql(env.http('ide', role), seedUpdateIssue(issue, uniqueDescription('Correct update!')), { privateToken: apiPat }, 'GraphQL updateIssue (api)');
      expectGranted(granted, 'updateIssue', 'updateIssue with the api token');
      const denied = await postGraphql(env.http('ide', role), seedUpdateIssue(issue, uniqueDescription('Bad update!')), { privateToken: aiPat }, 'GraphQL updateIssue (ai_features)');
      expectSchemaDenied(denied, 'updateIssue', 'updateIssue with the ai_features token');
    },
  };
}
