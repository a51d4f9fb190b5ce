import { jest } from '@jest/globals';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import { type ExecutionResult, type GraphQLObjectType } from 'graphql';
import {
  FEATURE_FLAG,
  GRAPHQL_CONTROLLER_ERROR,
  GRAPHQL_RESOURCE_ACCESS_ERROR,
  PATH,
  SESSION_COOKIE,
  demoToken,
  readDemoFixture,
} from '#contracts';
import { type TestApp, startTestApp } from '#common/testing/app';
import { gitlab } from '../app.js';
import { OAuthAccessTokenLookup } from '../auth/oauth-access-token-lookup.js';
import type { GitlabConfig } from '../config.js';
import { FeatureFlagsService } from '../feature-flags/feature-flags.service.js';
import { IdentityService } from '../identity/identity.service.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { FakeOAuthAccessTokens } from '../test/fake-oauth-access-tokens.js';
import { DEMO } from '../test/helpers.js';
import { GraphqlSubscriptions } from './graphql-subscriptions.port.js';
import { ProjectsService } from './projects.service.js';
import { SCOPES_EXTENSION } from './scopes.js';

const fixture = readDemoFixture();
const PAT = {
  api: DEMO.pat.api,
  read_api: demoToken(fixture, 'saas-developer/read-api'),
  ai_features: DEMO.pat.aiFeatures,
  read_user: DEMO.pat.readUser,
} as const;
type Scope = keyof typeof PAT;

/** The seed 004 script's three requests, verbatim. */
const SEED = {
  chat: 'mutation {\n  aiAction(input: {chat: {content: "Hello"}}) {\n    clientMutationId\n    requestId\n  }\n}',
  goodUpdate:
    'mutation {\n  updateIssue(input: {description: "Correct update!", projectPath:"twitter/Typeahead.Js", iid: "7"}) {\n    clientMutationId\n    issue {iid}\n  }\n}',
  badUpdate:
    'mutation {\n  updateIssue(input: {description: "Bad update!", projectPath:"twitter/Typeahead.Js", iid: "7"}) {\n    clientMutationId\n    issue {iid}\n  }\n}',
};

const OPERATIONS = {
  aiAction: 'mutation { aiAction(input: {chat: {content: "Hi"}}) { requestId errors } }',
  updateIssue: 'mutation { updateIssue(input: {projectPath: "twitter/Typeahead.Js", iid: "7", title: "Matrix"}) { issue { iid title } errors } }',
  currentUser: '{ currentUser { id username name } }',
  projectIssues: '{ project(fullPath: "twitter/Typeahead.Js") { fullPath issues { count nodes { iid title } } issue(iid: "7") { iid } } }',
} as const;
type Operation = keyof typeof OPERATIONS;

const DENIED = { message: GRAPHQL_RESOURCE_ACCESS_ERROR, locations: [{ line: 1, column: 12 }] };

/**
 * The scope x operation matrix as GitLab decides it: mutations need `api` unless declared
 * (aiAction: `api`, `ai_features`) and raise the resource access error otherwise; queries need
 * `api` or `read_api` unless declared (currentUser and project are not: null for ai_features);
 * a read_user token does not authenticate GraphQL at all (401 Invalid token).
 */
const MATRIX: Record<Scope, Record<Operation, 'allowed' | 'error' | 'null' | 401>> = {
  api: { aiAction: 'allowed', updateIssue: 'allowed', currentUser: 'allowed', projectIssues: 'allowed' },
  read_api: { aiAction: 'error', updateIssue: 'error', currentUser: 'allowed', projectIssues: 'allowed' },
  ai_features: { aiAction: 'allowed', updateIssue: 'error', currentUser: 'null', projectIssues: 'null' },
  read_user: { aiAction: 401, updateIssue: 401, currentUser: 401, projectIssues: 401 },
};

/**
 * GitLab's GraphQL API on a running SaaS gitlab app (seed 004): the seed's script, the scope
 * matrix, graphql_minimal_auth_methods off and on, every credential GitLab accepts there, the
 * controller's refusals and GraphQL's own errors (never a 500), and subscriptions through the
 * port ActionCable uses.
 */
describe('gitlab GraphQL API (seed 004)', () => {
  const oauth = new FakeOAuthAccessTokens();
  let gl: TestApp<GitlabConfig>;

  beforeAll(async () => {
    gl = await startTestApp(gitlab);
    jest.spyOn(gl.app.get(OAuthAccessTokenLookup), 'find').mockImplementation((token) => oauth.find(token));
    const userId = gl.app.get(IdentityService).findUserByUsername(DEMO.developer)!.id;
    const live = { userId, expiresAt: Math.floor(Date.now() / 1000) + 7200, clientId: 'ide' };
    oauth
      .issue('gql-oauth-ai-features', { ...live, scopes: ['ai_features'] })
      .issue('gql-oauth-api', { ...live, scopes: ['api'] })
      .issue('gql-oauth-read-user', { ...live, scopes: ['read_user', 'openid'] })
      .issue('gql-oauth-expired', { ...live, scopes: ['api'], expiresAt: Math.floor(Date.now() / 1000) - 60 });
  });
  afterAll(async () => {
    await gl.close();
  });
  afterEach(() => {
    gl.app.get(FeatureFlagsService).reset();
    gl.app.get(ProjectsService).reset();
  });

  const call = async (init: { method?: string; headers?: Record<string, string>; body?: unknown; search?: string }) => {
    const res = await fetch(`${gl.url}${PATH.GITLAB_GRAPHQL}${init.search ?? ''}`, {
      method: init.method ?? 'POST',
      headers: { ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
      ...(init.body !== undefined ? { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, json: JSON.parse(text) as Record<string, unknown> };
  };
  const gql = (query: string, headers: Record<string, string> = {}, variables: unknown = null) => call({ headers, body: { query, variables } });
  const withPat = (token: string) => ({ 'private-token': token });

  describe("the seed's script (graphql_minimal_auth_methods on, as the demo data has it)", () => {
    it('1. an ai_features token calls the chat API and gets a requestId', async () => {
      expect(await gql(SEED.chat, withPat(PAT.ai_features))).toEqual({
        status: 200,
        json: { data: { aiAction: { clientMutationId: null, requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) } } },
      });
    });

    it('2. an api token updates issue 7 of twitter/Typeahead.Js', async () => {
      expect(await gql(SEED.goodUpdate, withPat(PAT.api))).toEqual({ status: 200, json: { data: { updateIssue: { clientMutationId: null, issue: { iid: '7' } } } } });
      const updated = await gql('{ project(fullPath: "twitter/Typeahead.Js") { issue(iid: "7") { description } } }', withPat(PAT.api));
      expect(updated.json).toEqual({ data: { project: { issue: { description: 'Correct update!' } } } });
    });

    it('3. an ai_features token cannot call updateIssue: the resource access error, nothing changed', async () => {
      expect(await gql(SEED.badUpdate, withPat(PAT.ai_features))).toEqual({
        status: 200,
        json: {
          errors: [{ message: GRAPHQL_RESOURCE_ACCESS_ERROR, locations: [{ line: 2, column: 3 }], path: ['updateIssue'] }],
          data: { updateIssue: null },
        },
      });
      const issue = await gql('{ project(fullPath: "twitter/Typeahead.Js") { issue(iid: "7") { description } } }', withPat(PAT.api));
      expect(issue.json).toEqual({ data: { project: { issue: { description: 'The dropdown redraws on every keystroke.' } } } });
    });
  });

  describe('scope x operation matrix', () => {
    const cases = (Object.keys(MATRIX) as Scope[]).flatMap((scope) => (Object.keys(OPERATIONS) as Operation[]).map((op) => [scope, op, MATRIX[scope][op]] as const));
    it.each(cases)('%s token, %s: %s', async (scope, op, outcome) => {
      const { status, json } = await gql(OPERATIONS[op], withPat(PAT[scope]));
      const field = op === 'projectIssues' ? 'project' : op;
      if (outcome === 401) {
        expect({ status, json }).toEqual({ status: 401, json: { errors: [{ message: GRAPHQL_CONTROLLER_ERROR.INVALID_TOKEN }] } });
      } else if (outcome === 'error') {
        expect({ status, json }).toEqual({ status: 200, json: { errors: [{ ...DENIED, path: [field] }], data: { [field]: null } } });
      } else if (outcome === 'null') {
        expect({ status, json }).toEqual({ status: 200, json: { data: { [field]: null } } });
      } else {
        expect(status).toBe(200);
        expect(json.errors).toBeUndefined();
        expect((json.data as Record<string, unknown>)[field]).not.toBeNull();
      }
    });
  });

  describe('graphql_minimal_auth_methods', () => {
    const flags = () => gl.app.get(FeatureFlagsService);

    it('off: an ai_features token does not authenticate (401 Invalid token); api and read_api tokens still do', async () => {
      flags().set(FEATURE_FLAG.GRAPHQL_MINIMAL_AUTH_METHODS, { enabled: false });
      expect(await gql(SEED.chat, withPat(PAT.ai_features))).toEqual({ status: 401, json: { errors: [{ message: 'Invalid token' }] } });
      expect(await gql('{ __typename }', withPat(PAT.ai_features))).toMatchObject({ status: 401 });
      expect(await gql(OPERATIONS.currentUser, withPat(PAT.read_api))).toMatchObject({ status: 200, json: { data: { currentUser: { username: DEMO.developer } } } });
      expect(await gql(SEED.goodUpdate, withPat(PAT.api))).toMatchObject({ status: 200, json: { data: { updateIssue: { issue: { iid: '7' } } } } });
    });

    it('on: the ai_features token authenticates and reaches what is declared for it', async () => {
      flags().set(FEATURE_FLAG.GRAPHQL_MINIMAL_AUTH_METHODS, { enabled: true });
      expect(await gql('{ __typename }', withPat(PAT.ai_features))).toEqual({ status: 200, json: { data: { __typename: 'Query' } } });
      expect((await gql(SEED.chat, withPat(PAT.ai_features))).status).toBe(200);
    });
  });

  describe('credentials', () => {
    it('accepts a personal access token as PRIVATE-TOKEN, Private-Token, Authorization: Bearer and private_token', async () => {
      const expected = { status: 200, json: { data: { currentUser: { id: 'gid://gitlab/User/1001', username: DEMO.developer, name: 'SaaS Developer' } } } };
      expect(await gql(OPERATIONS.currentUser, { 'PRIVATE-TOKEN': PAT.api })).toEqual(expected);
      expect(await gql(OPERATIONS.currentUser, { 'Private-Token': PAT.api })).toEqual(expected);
      expect(await gql(OPERATIONS.currentUser, { authorization: `Bearer ${PAT.api}` })).toEqual(expected);
      expect(await call({ body: { query: OPERATIONS.currentUser }, search: `?private_token=${PAT.api}` })).toEqual(expected);
    });

    it('refuses unknown, expired and revoked tokens with 401 Invalid token', async () => {
      for (const token of ['glpat-unknown-token-000', DEMO.pat.expired, DEMO.pat.revoked]) {
        expect(await gql(OPERATIONS.currentUser, withPat(token))).toEqual({ status: 401, json: { errors: [{ message: 'Invalid token' }] } });
      }
    });

    it('holds OAuth access tokens to the same scopes', async () => {
      const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
      expect((await gql(SEED.chat, bearer('gql-oauth-ai-features'))).json).toMatchObject({ data: { aiAction: { requestId: expect.any(String) } } });
      expect((await gql(SEED.badUpdate, bearer('gql-oauth-ai-features'))).json).toMatchObject({ errors: [{ message: GRAPHQL_RESOURCE_ACCESS_ERROR }] });
      expect((await gql(SEED.goodUpdate, bearer('gql-oauth-api'))).json).toEqual({ data: { updateIssue: { clientMutationId: null, issue: { iid: '7' } } } });
      expect(await gql(OPERATIONS.currentUser, bearer('gql-oauth-read-user'))).toMatchObject({ status: 401 });
      expect(await gql(OPERATIONS.currentUser, bearer('gql-oauth-expired'))).toMatchObject({ status: 401 });
    });

    it('runs a session with its CSRF token as the user (every scope); without the token, anonymously', async () => {
      const { id, session } = gl.app.get(SessionsService).create(1001);
      const cookie = { cookie: `${SESSION_COOKIE}=${id}` };
      expect((await gql(SEED.goodUpdate, { ...cookie, 'x-csrf-token': session.csrfToken })).json).toEqual({
        data: { updateIssue: { clientMutationId: null, issue: { iid: '7' } } },
      });
      // protect_from_forgery with: :null_session: a POST without the CSRF token runs anonymously.
      expect((await gql(OPERATIONS.currentUser, cookie)).json).toEqual({ data: { currentUser: null } });
      expect((await gql(SEED.goodUpdate, { ...cookie, 'x-csrf-token': 'wrong' })).json).toMatchObject({ errors: [{ message: GRAPHQL_RESOURCE_ACCESS_ERROR }] });
      // GET needs no CSRF token.
      const get = await call({ method: 'GET', headers: cookie, search: `?query=${encodeURIComponent(OPERATIONS.currentUser)}` });
      expect(get).toMatchObject({ status: 200, json: { data: { currentUser: { username: DEMO.developer } } } });
    });

    it('answers anonymous requests with public data only', async () => {
      expect(await gql(OPERATIONS.currentUser)).toEqual({ status: 200, json: { data: { currentUser: null } } });
      expect(await gql(OPERATIONS.projectIssues)).toEqual({ status: 200, json: { data: { project: null } } });
      expect((await gql(SEED.chat)).json).toMatchObject({ errors: [{ message: GRAPHQL_RESOURCE_ACCESS_ERROR, path: ['aiAction'] }] });
    });
  });

  describe('bad requests get GraphQL errors, never a 500', () => {
    const api = withPat(PAT.api);

    it('a syntax error, an unknown field and an empty query: 200 with errors', async () => {
      const syntax = await gql('{ currentUser { id ', api);
      expect(syntax).toMatchObject({ status: 200, json: { errors: [{ message: expect.stringMatching(/^Syntax Error/), locations: [{ line: 1, column: 20 }] }] } });
      expect(syntax.json.data).toBeUndefined();
      expect(await gql('{ currentUser { email } }', api)).toEqual({
        status: 200,
        json: { errors: [{ message: 'Cannot query field "email" on type "UserCore".', locations: [{ line: 1, column: 17 }] }] },
      });
      expect(await gql('', api)).toEqual({ status: 200, json: { errors: [{ message: 'No query string was present' }] } });
      expect((await call({ headers: api, body: '[1, "x", null]' })).json).toEqual([
        { errors: [{ message: 'No query string was present' }] },
        { errors: [{ message: 'No query string was present' }] },
        { errors: [{ message: 'No query string was present' }] },
      ]);
    });

    it('refuses queries more complex than 250 (200 anonymous); depth is pinned by query-limits.spec.ts', async () => {
      const wide = `{ ${Array.from({ length: 251 }, (_, i) => `u${i}: currentUser { __typename }`).join(' ')} }`;
      expect(await gql(wide, api)).toEqual({ status: 200, json: { errors: [{ message: 'Query has complexity of 502, which exceeds max complexity of 250' }] } });
      const anonymousWide = `{ ${Array.from({ length: 101 }, (_, i) => `u${i}: currentUser { __typename }`).join(' ')} }`;
      expect(await gql(anonymousWide)).toEqual({ status: 200, json: { errors: [{ message: 'Query has complexity of 202, which exceeds max complexity of 200' }] } });
    });

    it('refuses a mutation over GET, a query over 10000 characters and variables that are not a JSON object with 422', async () => {
      const getMutation = await call({ method: 'GET', headers: withPat(PAT.api), search: `?query=${encodeURIComponent(SEED.goodUpdate)}` });
      expect(getMutation).toEqual({ status: 422, json: { errors: [{ message: 'Mutations are forbidden in GET requests' }] } });
      const large = `{ currentUser { id } }${' '.repeat(10_000)}`;
      expect(await gql(large, api)).toEqual({ status: 422, json: { errors: [{ message: 'Query too large' }] } });
      expect(await gql(OPERATIONS.currentUser, api, '{not json')).toEqual({ status: 422, json: { errors: [{ message: 'Variables must be a JSON object' }] } });
      expect(await gql(OPERATIONS.currentUser, api, 42)).toMatchObject({ status: 422 });
    });

    it('takes variables as an object or a JSON string, and reports a wrong one as GraphQL errors', async () => {
      const query = 'query($p: ID!) { project(fullPath: $p) { name } }';
      expect((await gql(query, api, { p: 'twitter/Typeahead.Js' })).json).toEqual({ data: { project: { name: 'Typeahead.Js' } } });
      expect((await gql(query, api, '{"p":"twitter/Typeahead.Js"}')).json).toEqual({ data: { project: { name: 'Typeahead.Js' } } });
      expect(await gql(query, api, {})).toMatchObject({ status: 200, json: { errors: [{ message: 'Variable "$p" of required type "ID!" was not provided.' }] } });
    });
  });

  describe('declarations on the running schema', () => {
    const scopesOf = (type: string, field?: string) => {
      const t = gl.app.get(GraphQLSchemaHost).schema.getType(type) as GraphQLObjectType;
      return (field ? t.getFields()[field]!.extensions : t.extensions)[SCOPES_EXTENSION];
    };

    it('declares ai_features where the seed 004 MR did, and nothing elsewhere', () => {
      expect(scopesOf('AiMessage')).toEqual(['api', 'read_api', 'ai_features']);
      expect(scopesOf('AiMessage', 'content')).toEqual(['api', 'read_api', 'ai_features']);
      expect(scopesOf('Mutation', 'aiAction')).toEqual(['api', 'ai_features']);
      expect(scopesOf('Subscription', 'aiCompletionResponse')).toEqual(['api', 'read_api', 'ai_features']);
      expect(scopesOf('Mutation', 'updateIssue')).toBeUndefined();
      expect(scopesOf('Issue')).toBeUndefined();
      expect(scopesOf('Query', 'currentUser')).toBeUndefined();
    });
  });

  describe('subscriptions through the GraphqlSubscriptions port (ActionCable)', () => {
    const port = () => gl.app.get(GraphqlSubscriptions);
    const actorFor = (scopes: string[]) => ({
      via: 'personal_access_token' as const,
      user: gl.app.get(IdentityService).findUserByUsername(DEMO.developer)!,
      scopes,
      tokenName: 'test',
    });
    const SUBSCRIBE =
      'subscription($c: String) { aiCompletionResponse(userId: "gid://gitlab/User/1001", aiAction: CHAT, clientSubscriptionId: $c) { requestId content chunkId errors role } }';

    it('streams the answer of an aiAction to the ai_features subscriber of its clientSubscriptionId', async () => {
      const actor = actorFor(['ai_features']);
      const stream = await port().subscribe({ query: SUBSCRIBE, variables: { c: 'sub-1' } }, actor);
      expect(Symbol.asyncIterator in stream).toBe(true);
      const iterator = stream as AsyncIterableIterator<ExecutionResult>;
      const started = (await port().subscribe(
        { query: 'mutation { aiAction(input: {chat: {content: "Hello"}, clientSubscriptionId: "sub-1"}) { requestId } }' },
        actor,
      )) as ExecutionResult;
      const requestId = (started.data as { aiAction: { requestId: string } }).aiAction.requestId;
      const first = await iterator.next();
      // This test app has no AI gateway configured: the final message carries the chat path's error.
      expect(first.value).toEqual({
        data: { aiCompletionResponse: { requestId, content: null, chunkId: null, errors: [expect.any(String)], role: 'ASSISTANT' } },
      });
      await iterator.return!();
    });

    it('refuses a read_user token, another user and invalid queries with a result carrying errors', async () => {
      const refused = (await port().subscribe({ query: SUBSCRIBE }, actorFor(['read_user']))) as ExecutionResult;
      expect(refused.errors?.map((e) => e.message)).toEqual([GRAPHQL_RESOURCE_ACCESS_ERROR]);
      const other = (await port().subscribe(
        { query: 'subscription { aiCompletionResponse(userId: "gid://gitlab/User/1002") { content } }' },
        actorFor(['ai_features']),
      )) as ExecutionResult;
      expect(other.errors?.map((e) => e.message)).toEqual([GRAPHQL_RESOURCE_ACCESS_ERROR]);
      const anonymous = (await port().subscribe({ query: SUBSCRIBE }, undefined)) as ExecutionResult;
      expect(anonymous.errors?.map((e) => e.message)).toEqual([GRAPHQL_RESOURCE_ACCESS_ERROR]);
      const invalid = (await port().subscribe({ query: 'subscription { nope }' }, actorFor(['api']))) as ExecutionResult;
      expect(invalid.errors?.[0]?.message).toBe('Cannot query field "nope" on type "Subscription".');
    });

    it('refuses a subscription over HTTP', async () => {
      expect((await gql(SUBSCRIBE, withPat(PAT.api))).json).toEqual({ errors: [{ message: 'Subscriptions are only available over ActionCable (/-/cable, GraphqlChannel)' }] });
    });
  });
});
