/**
 * Needs and conditions of GitLab's scoped GraphQL API (seed 004): POST /api/graphql with
 * personal access tokens of one scope each, and the aiCompletionResponse subscription over
 * ActionCable (/-/cable, GraphqlChannel). The verdicts follow GitLab's source, cited where each
 * rule is used; the scope matrix itself is data in graphql-matrix.ts.
 *
 * Denials come in three shapes in GitLab:
 * - at the door (GraphqlController `authorize_access_api!`, app/controllers/graphql_controller.rb):
 *   a token that does not authenticate for GraphQL gets 401 `{"errors":[{"message":"Invalid token"}]}`;
 * - a mutation (or subscription) the token's scopes do not admit: HTTP 200, the field null and an
 *   error with `RESOURCE_ACCESS_ERROR` (lib/gitlab/graphql/authorize/authorize_resource.rb;
 *   base_mutation.rb "in our mutations we raise, rather than returning a null value");
 * - a query field whose type does not admit them: null without an error (graphql-ruby's
 *   `unauthorized_object`, app/graphql/types/base_object.rb `self.authorized?`).
 */
import { randomUUID } from 'node:crypto';
import { FEATURE_FLAG, GRAPHQL_AI_ACTION_CHAT, GRAPHQL_CONTROLLER_ERROR, GRAPHQL_RESOURCE_ACCESS_ERROR, type Role } from '#contracts';
import { setFlag } from '../checks/control.js';
import { expectThat, fail, shownBody } from '../checks/expect.js';
import { CableConnection, isRefusal, type CableRefusal, type CableSubscription } from '../clients/action-cable.js';
import { dataAt, postGraphql, type GraphqlAnswer, type GraphqlRequest } from '../clients/graphql-http.js';
import { condition, need, needFamily, type ConditionEnv, type NeedEnv } from '../runner/condition.js';
import { controlOf, patOf, type GitlabRole, type PatPurpose } from './needs.js';

/** The token scopes of the matrix, each a PAT of the profile with that one scope. */
export type ScopedPurpose = Extract<PatPurpose, 'api' | 'read_api' | 'ai_features' | 'read_user'>;

/** A GitLab role's PAT of one scope, as the seed's script sends it (Private-Token). */
export const scopedPatOf = (role: GitlabRole, purpose: PatPurpose) => patOf(`${role}:${purpose}`);

export interface GraphqlIssue {
  projectPath: string;
  iid: string;
}

/** The project and issue the checks read and update (profile `graphql_issue`; the seed's twitter/Typeahead.Js issue 7 on the embedded SaaS). */
export const graphqlIssueOf = needFamily((role: GitlabRole) =>
  need<GraphqlIssue>(`an issue the ${role} api token may update (profile graphql_issue)`, async (env) => {
    const issue = env.target(role).graphqlIssue;
    return issue ? { projectPath: issue.projectPath, iid: String(issue.iid) } : env.notApplicable(`the target profile gives no ${role} graphql_issue (project_path and iid of an issue the api token's user may update)`);
  }),
);

/** The global id of the profile's user (`currentUser { id }` with the api token), which aiCompletionResponse filters on. */
export const userGidOf = needFamily((role: GitlabRole) =>
  need<string>(`the global id of the ${role} user`, async (env) => {
    const pat = await env.need(scopedPatOf(role, 'api'));
    const answer = await postGraphql(env.http('ide', role), { query: '{ currentUser { id } }' }, { privateToken: pat }, 'GraphQL currentUser (api)');
    const id = dataAt(answer, ['currentUser', 'id']);
    if (typeof id !== 'string') fail(`${answer.res.request} gave no currentUser.id with the api token`, { expected: { 'data.currentUser.id': 'gid://gitlab/User/<id>' }, actual: shownBody(answer.res), res: answer.res });
    return id;
  }),
);

/**
 * The seed's precondition: `Feature.enable(:graphql_minimal_auth_methods)`. On a target with the
 * control API the check turns it on and its restore puts it back; on one without, the check
 * relies on the target being configured as the seed says.
 */
export async function withMinimalAuthMethods(env: ConditionEnv, role: GitlabRole): Promise<void> {
  const control = env.target(role).control;
  if (control) await setFlag(env, control, FEATURE_FLAG.GRAPHQL_MINIMAL_AUTH_METHODS, { enabled: true });
}

// --- Queries the checks send -------------------------------------------------------------

const literal = (value: string) => JSON.stringify(value);

/** The seed's first call, verbatim: aiAction(chat) -> requestId. */
export const seedAiAction = (): GraphqlRequest => ({
  query: 'mutation {\n  aiAction(input: {chat: {content: "Hello"}}) {\n    clientMutationId\n    requestId\n  }\n}',
  variables: null,
});

/** The seed's second and third calls, verbatim but for the description (made unique so the read-back proves who wrote it). */
export const seedUpdateIssue = (issue: GraphqlIssue, description: string): GraphqlRequest => ({
  query: `mutation {\n  updateIssue(input: {description: ${literal(description)}, projectPath:${literal(issue.projectPath)}, iid: ${literal(issue.iid)}}) {\n    clientMutationId\n    issue {iid}\n  }\n}`,
  variables: null,
});

/** aiAction(chat) with a clientSubscriptionId, as IDE clients send it so the answer reaches their subscription. */
export const chatAiAction = (content: string, clientSubscriptionId: string): GraphqlRequest => ({
  query: `mutation {\n  aiAction(input: {chat: {content: ${literal(content)}}, clientSubscriptionId: ${literal(clientSubscriptionId)}}) {\n    requestId\n    errors\n  }\n}`,
  variables: null,
});

/** Every AiMessage field the chat clients read (ee/app/graphql/types/ai/message_type.rb). */
export const AI_MESSAGE_FIELDS = 'id requestId content contentHtml role timestamp chunkId errors';

/** The aiCompletionResponse subscription of a chat client (GitLab's arguments: userId, aiAction, clientSubscriptionId). */
export const chatSubscription = (userGid: string, clientSubscriptionId: string, fields = AI_MESSAGE_FIELDS): GraphqlRequest => ({
  query: `subscription {\n  aiCompletionResponse(userId: ${literal(userGid)}, aiAction: ${GRAPHQL_AI_ACTION_CHAT}, clientSubscriptionId: ${literal(clientSubscriptionId)}) {\n    ${fields}\n  }\n}`,
  variables: null,
});

export const readIssueDescription = (issue: GraphqlIssue): GraphqlRequest => ({
  query: `{\n  project(fullPath: ${literal(issue.projectPath)}) {\n    issue(iid: ${literal(issue.iid)}) {\n      iid\n      description\n    }\n  }\n}`,
  variables: null,
});

// --- Verdicts on one answer ---------------------------------------------------------------

/** The answer grants `field`: HTTP 200, no errors, data[field] not null. */
export function expectGranted(answer: GraphqlAnswer, field: string, what: string): void {
  const value = answer.data?.[field];
  expectThat(answer.res.status === 200 && answer.errors.length === 0 && value !== null && value !== undefined, `${what}: expected HTTP 200 with data.${field} and no errors`, {
    expected: { status: 200, [`data.${field}`]: 'not null', errors: 'none' },
    actual: { status: answer.res.status, body: shownBody(answer.res) },
    res: answer.res,
  });
}

/** The schema refused `field`: data[field] null or absent and an error carrying GitLab's RESOURCE_ACCESS_ERROR, no 5xx. */
export function expectSchemaDenied(answer: GraphqlAnswer, field: string, what: string): void {
  const value = answer.data?.[field];
  const denied = answer.errors.some((e) => typeof e?.message === 'string' && e.message.includes(GRAPHQL_RESOURCE_ACCESS_ERROR));
  expectThat(answer.res.status < 500 && answer.isGraphqlResponse && denied && (value === null || value === undefined), `${what}: expected data.${field} null and the error "${GRAPHQL_RESOURCE_ACCESS_ERROR}"`, {
    expected: { [`data.${field}`]: null, 'errors[].message': GRAPHQL_RESOURCE_ACCESS_ERROR },
    actual: { status: answer.res.status, body: shownBody(answer.res) },
    res: answer.res,
  });
}

/** A query field the scope may not read: data[field] null, no 5xx (GitLab's types answer null, graphql-ruby `unauthorized_object`). */
export function expectNullified(answer: GraphqlAnswer, field: string, what: string): void {
  expectThat(answer.res.status === 200 && answer.isGraphqlResponse && answer.data !== undefined && answer.data !== null && answer.data[field] === null, `${what}: expected HTTP 200 with data.${field} null`, {
    expected: { status: 200, [`data.${field}`]: null },
    actual: { status: answer.res.status, body: shownBody(answer.res) },
    res: answer.res,
  });
}

/** The controller refused the token before any GraphQL ran: 401 {"errors":[{"message":"Invalid token"}]}. */
export function expectDoorDenied(answer: GraphqlAnswer, what: string): void {
  const message = answer.errors[0]?.message;
  expectThat(answer.res.status === 401 && message === GRAPHQL_CONTROLLER_ERROR.INVALID_TOKEN, `${what}: expected HTTP 401 with the error "${GRAPHQL_CONTROLLER_ERROR.INVALID_TOKEN}"`, {
    expected: { status: 401, body: { errors: [{ message: GRAPHQL_CONTROLLER_ERROR.INVALID_TOKEN }] } },
    actual: { status: answer.res.status, body: shownBody(answer.res) },
    res: answer.res,
  });
}

/**
 * The accepted control request of a denial check: the same request with the api token must be
 * granted, else the check does not apply (the target does not serve it at all, or refuses
 * everyone) and says so; a target that refuses everything passes no denial check.
 */
export async function requireControlGranted(env: NeedEnv, role: GitlabRole, request: GraphqlRequest, field: string, label: string): Promise<GraphqlAnswer> {
  const pat = await env.need(scopedPatOf(role, 'api'));
  const answer = await postGraphql(env.http('ide', role), request, { privateToken: pat }, `${label} (api, control)`);
  const value = answer.data?.[field];
  if (answer.res.status !== 200 || answer.errors.length > 0 || value === null || value === undefined) {
    env.notApplicable(`the control request (${label} with the api token) was not granted either (HTTP ${answer.res.status}: ${JSON.stringify(shownBody(answer.res)).slice(0, 300)}), so a refusal proves nothing; the target must serve ${field} to the api token`);
  }
  return answer;
}

// --- Issue description: read, write, put back ---------------------------------------------

/** The issue's description as the api token reads it (null when it has none). */
export async function readDescription(env: NeedEnv, role: GitlabRole, issue: GraphqlIssue): Promise<string | null> {
  const pat = await env.need(scopedPatOf(role, 'api'));
  const answer = await postGraphql(env.http('ide', role), readIssueDescription(issue), { privateToken: pat }, 'GraphQL read issue description (api)');
  const found = dataAt(answer, ['project', 'issue']) as { description?: unknown } | null | undefined;
  if (!found || answer.errors.length) {
    env.notApplicable(`the api token cannot read issue ${issue.iid} of ${issue.projectPath} (HTTP ${answer.res.status}); the profile's graphql_issue must name an issue its user may update`);
  }
  return typeof found.description === 'string' ? found.description : null;
}

/**
 * Registers putting the issue's description back (updateIssue with the api token) and returns
 * the description read now; call before anything may write it.
 */
export async function restoreDescriptionAfterwards(env: ConditionEnv, role: GitlabRole, issue: GraphqlIssue): Promise<string | null> {
  const before = await readDescription(env, role, issue);
  env.restore(`the description of issue ${issue.iid} of ${issue.projectPath} on ${role}`, async () => {
    const pat = await env.need(scopedPatOf(role, 'api'));
    const answer = await postGraphql(env.http('harness', role), seedUpdateIssue(issue, before ?? ''), { privateToken: pat }, 'GraphQL updateIssue (api, restore)');
    if (answer.res.status !== 200 || answer.errors.length) throw new Error(`putting the description back failed: HTTP ${answer.res.status}`);
  });
  return before;
}

/** A description no earlier run wrote, so the read-back tells who wrote it. */
export const uniqueDescription = (what: string) => `${what} (${randomUUID()})`;

// --- ActionCable ---------------------------------------------------------------------------

/** How long a welcome or a subscription's confirmation may take (a bound for a slow target, not a speed check). */
const CABLE_ANSWER_MS = 10_000;

/** How long the whole streamed chat answer may take: GitLab -> gateway -> model and back. */
const CHAT_ANSWER_MS = 30_000;

export interface OpenedSubscription {
  connection?: CableConnection;
  refusal?: CableRefusal;
  subscription?: CableSubscription;
}

/**
 * Opens /-/cable with the token as `Authorization: Bearer` on the upgrade request (how GitLab's
 * cable connection authenticates API clients, app/channels/application_cable/connection.rb) and
 * the instance's origin as `Origin`, and subscribes to GraphqlChannel. The connection is closed when the check ends.
 */
export async function openSubscription(env: ConditionEnv, role: Role, token: string, request: GraphqlRequest): Promise<OpenedSubscription> {
  // ActionCable's forgery protection wants an Origin; GitLab's language server sends the instance's own (gitlab-lsp connectToCable).
  const url = env.target(role).url;
  const opened = await CableConnection.open(url, { headers: { Authorization: `Bearer ${token}`, Origin: new URL(url).origin }, timeoutMs: CABLE_ANSWER_MS });
  if (isRefusal(opened)) return { refusal: opened };
  env.restore(`the ActionCable connection to ${role}`, async () => opened.close());
  const subscription = await opened.subscribe({ query: request.query, variables: request.variables ?? null }, CABLE_ANSWER_MS);
  return { connection: opened, subscription };
}

/** The result of one GraphqlChannel message (`{result: {data, errors}, more}`). */
export function resultOf(message: unknown): { data?: Record<string, unknown> | null; errors: Array<{ message?: unknown }> } {
  const result = (message as { result?: unknown } | null)?.result ?? message;
  const r = (typeof result === 'object' && result !== null ? result : {}) as { data?: Record<string, unknown> | null; errors?: unknown };
  return { ...(r.data !== undefined ? { data: r.data } : {}), errors: Array.isArray(r.errors) ? (r.errors as Array<{ message?: unknown }>) : [] };
}

/** Frames and messages of a subscription, for failure messages. */
export function describeSubscription(opened: OpenedSubscription): Record<string, unknown> {
  if (opened.refusal) return { connection: 'refused', ...opened.refusal };
  return { outcome: opened.subscription?.outcome, messages: opened.subscription?.messages.slice(0, 8), frames: opened.connection?.frames.slice(-8) };
}

/** Waits briefly for a message the server sends with (or just after) its confirmation: GitLab's channel transmits the first result before confirming. */
export async function settleFirstResult(subscription: CableSubscription): Promise<void> {
  await subscription.waitFor((m) => m.length > 0, 300);
}

/** The subscription was accepted: confirm_subscription and no error in the first result. */
export function expectSubscribed(opened: OpenedSubscription, what: string): void {
  const s = opened.subscription;
  const errors = (s?.messages ?? []).flatMap((m) => resultOf(m).errors);
  expectThat(s?.outcome === 'confirmed' && errors.length === 0, `${what}: expected confirm_subscription and no error`, {
    expected: { outcome: 'confirmed', errors: 'none' },
    actual: describeSubscription(opened),
  });
}

/** GraphqlChannel refused the subscription: reject_subscription (or, with `orRefusedConnection`, a connection refused before the welcome). */
export function expectSubscriptionRejected(opened: OpenedSubscription, what: string, orRefusedConnection = false): void {
  const rejected = opened.subscription?.outcome === 'rejected' || (orRefusedConnection && opened.refusal !== undefined);
  expectThat(rejected, `${what}: expected reject_subscription${orRefusedConnection ? ' (or the connection refused)' : ''}`, {
    expected: orRefusedConnection ? 'reject_subscription, or the connection refused before its welcome' : { outcome: 'rejected' },
    actual: describeSubscription(opened),
  });
}

/** The api-token control of a subscription denial: the same subscription is confirmed, else the check does not apply. */
export async function requireSubscriptionControl(env: ConditionEnv, role: GitlabRole, request: GraphqlRequest): Promise<void> {
  const pat = await env.need(scopedPatOf(role, 'api'));
  const opened = await openSubscription(env, role, pat, request);
  if (opened.subscription) await settleFirstResult(opened.subscription);
  const errors = (opened.subscription?.messages ?? []).flatMap((m) => resultOf(m).errors);
  if (opened.subscription?.outcome !== 'confirmed' || errors.length) {
    env.notApplicable(`the control subscription (aiCompletionResponse over /-/cable with the api token) was not confirmed either (${JSON.stringify(describeSubscription(opened)).slice(0, 300)}), so a rejection proves nothing`);
  }
  opened.connection?.close();
}

// --- Conditions not in the matrix ----------------------------------------------------------

/** A chat message as the subscription delivers it. */
interface AiMessagePayload {
  requestId?: unknown;
  content?: unknown;
  role?: unknown;
  chunkId?: unknown;
  errors?: unknown;
}

const assistant = (m: AiMessagePayload) => typeof m.role === 'string' && m.role.toUpperCase() === 'ASSISTANT';

/**
 * Streams Duo Chat's answer: subscribed with the ai_features token, the answer of the aiAction
 * the same token sent arrives as chunks (chunkId 1, 2, ...) and then the final message
 * (chunkId null) with the whole content, every one carrying the mutation's requestId.
 */
export const StreamsTheChatAnswer = (role: GitlabRole) =>
  condition({
    name: 'EnsureChatAnswerStreamsToTheSubscription',
    title: 'Subscribed to aiCompletionResponse over ActionCable with the ai_features token, the answer to its aiAction(chat) arrives as chunks then the final message, all with the requestId the mutation returned',
    needs: { pat: scopedPatOf(role, 'ai_features'), userGid: userGidOf(role) },
    async evaluate({ pat, userGid }, env) {
      await withMinimalAuthMethods(env, role);
      await streamChat(env, role, pat, userGid);
    },
  });

/** The chat flow of one IDE: subscribe, send aiAction(chat), collect the streamed answer; fails with what it saw. */
export async function streamChat(env: ConditionEnv, role: GitlabRole, pat: string, userGid: string): Promise<{ requestId: string; final: AiMessagePayload; chunks: AiMessagePayload[] }> {
  const clientSubscriptionId = randomUUID();
  const opened = await openSubscription(env, role, pat, chatSubscription(userGid, clientSubscriptionId));
  expectSubscribed(opened, 'aiCompletionResponse with the ai_features token');
  const subscription = opened.subscription!;
  const answer = await postGraphql(env.http('ide', role), chatAiAction('Hello', clientSubscriptionId), { privateToken: pat }, 'GraphQL aiAction(chat) (ai_features)');
  expectGranted(answer, 'aiAction', 'aiAction(chat) with the ai_features token');
  const requestId = dataAt(answer, ['aiAction', 'requestId']);
  if (typeof requestId !== 'string' || !requestId) fail('aiAction(chat) returned no requestId', { expected: { 'data.aiAction.requestId': 'a string' }, actual: shownBody(answer.res), res: answer.res });
  const payloads = () => subscription.messages.map((m) => resultOf(m).data?.aiCompletionResponse as AiMessagePayload | null | undefined).filter((p): p is AiMessagePayload => !!p);
  const isFinal = (p: AiMessagePayload) => assistant(p) && (p.chunkId === null || p.chunkId === undefined);
  const waitMs = CHAT_ANSWER_MS;
  await subscription.waitFor(() => payloads().some(isFinal), waitMs);
  const all = payloads().filter(assistant);
  const final = all.find(isFinal);
  const chunks = all.filter((p) => typeof p.chunkId === 'number').sort((a, b) => (a.chunkId as number) - (b.chunkId as number));
  const seen = { requestId, messages: subscription.messages.slice(0, 12), outcome: subscription.outcome };
  if (!final) fail(`no final assistant message (chunkId null) reached the subscription within ${waitMs} ms`, { expected: 'chunks, then a final AiMessage with role ASSISTANT and chunkId null', actual: seen });
  const errors = subscription.messages.flatMap((m) => resultOf(m).errors);
  expectThat(errors.length === 0, 'the subscription carried GraphQL errors', { expected: { errors: 'none' }, actual: seen });
  const messageErrors = all.flatMap((p) => (Array.isArray(p.errors) ? p.errors : []));
  expectThat(messageErrors.length === 0, `the chat answered with errors: ${JSON.stringify(messageErrors).slice(0, 200)}`, { expected: { 'aiCompletionResponse.errors': [] }, actual: seen });
  expectThat(all.every((p) => p.requestId === requestId), "a streamed message carries another requestId than the mutation's", { expected: { requestId }, actual: seen });
  expectThat(chunks.length > 0 && all.indexOf(chunks[chunks.length - 1]!) < all.indexOf(final), 'the answer was not streamed: no chunk (chunkId set) before the final message', { expected: 'chunks with chunkId 1..n, then the final message', actual: seen });
  const joined = chunks.map((c) => String(c.content ?? '')).join('');
  expectThat(typeof final.content === 'string' && final.content.length > 0 && joined === final.content, "the chunks do not add up to the final message's content", {
    expected: { 'final.content': joined },
    actual: { 'final.content': final.content, chunks: chunks.map((c) => ({ chunkId: c.chunkId, content: c.content })) },
  });
  return { requestId, final, chunks };
}

/**
 * GraphqlChannel refuses a token at subscribe time: the subscription with `purpose`'s token is
 * rejected (reject_subscription; for an expired or revoked token a refused connection counts too,
 * GitLab's connection rejects a token that does not authenticate), while the api token's
 * identical subscription is confirmed.
 */
export const RefusesSubscriptionWith = (role: GitlabRole, purpose: 'read_user' | 'expired' | 'revoked', title: string) =>
  condition({
    name: 'EnsureSubscriptionRefusesToken',
    title,
    needs: { pat: scopedPatOf(role, purpose), userGid: userGidOf(role) },
    async evaluate({ pat, userGid }, env) {
      await withMinimalAuthMethods(env, role);
      const request = chatSubscription(userGid, randomUUID());
      await requireSubscriptionControl(env, role, request);
      const opened = await openSubscription(env, role, pat, request);
      expectSubscriptionRejected(opened, `aiCompletionResponse with the ${purpose} token`, purpose !== 'read_user');
    },
  });

/**
 * graphql_minimal_auth_methods off: GraphQL authenticates as the REST API does (`api` and
 * `read_api` only), so the ai_features token is refused at the door with 401 Invalid token
 * (graphql_controller.rb: flag off -> `authenticate_sessionless_user!(:api)`; GitLab's
 * controller spec "when graphql_minimal_auth_methods is disabled ... fails"), while the api
 * token still works.
 */
export const FlagOffRefusesAiFeatures = (role: GitlabRole) =>
  condition({
    name: 'EnsureFlagOffRefusesAiFeaturesToken',
    title: 'With graphql_minimal_auth_methods off, aiAction(chat) with the ai_features token -> 401 Invalid token; the api token is still served',
    needs: { control: controlOf(role), pat: scopedPatOf(role, 'ai_features') },
    async evaluate({ control, pat }, env) {
      await setFlag(env, control, FEATURE_FLAG.GRAPHQL_MINIMAL_AUTH_METHODS, { enabled: false });
      await requireControlGranted(env, role, seedAiAction(), 'aiAction', 'GraphQL aiAction(chat), flag off');
      const answer = await postGraphql(env.http('ide', role), seedAiAction(), { privateToken: pat }, 'GraphQL aiAction(chat) (ai_features, flag off)');
      expectDoorDenied(answer, 'aiAction with the ai_features token while graphql_minimal_auth_methods is off');
    },
  });

/** graphql_minimal_auth_methods on: the same ai_features request is served (the seed's "Enable the ... feature flag"). */
export const FlagOnAdmitsAiFeatures = (role: GitlabRole) =>
  condition({
    name: 'EnsureFlagOnAdmitsAiFeaturesToken',
    title: 'With graphql_minimal_auth_methods on, aiAction(chat) with the ai_features token returns a requestId',
    needs: { control: controlOf(role), pat: scopedPatOf(role, 'ai_features') },
    async evaluate({ control, pat }, env) {
      await setFlag(env, control, FEATURE_FLAG.GRAPHQL_MINIMAL_AUTH_METHODS, { enabled: true });
      const answer = await postGraphql(env.http('ide', role), seedAiAction(), { privateToken: pat }, 'GraphQL aiAction(chat) (ai_features, flag on)');
      expectGranted(answer, 'aiAction', 'aiAction with the ai_features token while graphql_minimal_auth_methods is on');
      expectThat(typeof dataAt(answer, ['aiAction', 'requestId']) === 'string', 'aiAction returned no requestId', { expected: { 'data.aiAction.requestId': 'a string' }, actual: shownBody(answer.res), res: answer.res });
    },
  });
