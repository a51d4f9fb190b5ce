/**
 * Seed 004's scope matrix as data: token scopes {api, read_api, ai_features, read_user} x the
 * operations Duo Chat and the seed's script use, each cell the verdict GitLab's source gives
 * (with the source named), and one condition per kind of cell. The suite turns every row into
 * a check with a stable id (`allows-ai-action-with-ai-features`, `denies-update-issue-with-ai-features`).
 *
 * How GitLab decides (sources read for this table; paths in gitlab-org/gitlab):
 * - the door: GraphqlController#authenticate_graphql admits tokens whose scopes meet
 *   `authorization_scopes` = [:api, :read_api] (app/controllers/graphql_controller.rb), plus
 *   :ai_features in EE (ee/app/controllers/ee/graphql_controller.rb); any other token that is
 *   presented gets 401 "Invalid token" (`authorize_access_api!`). So read_user never gets past it.
 * - the schema: every type defaults to `authorization_scopes` [:api, :read_api]
 *   (app/graphql/types/base_object.rb); a mutation needs api; types and fields Duo Chat uses
 *   widen that with `scopes:` overrides (the seed's MR).
 */
import { randomUUID } from 'node:crypto';
import { expectThat, shownBody } from '../checks/expect.js';
import { dataAt, postGraphql, type GraphqlRequest } from '../clients/graphql-http.js';
import { condition, type ConditionEnv } from '../runner/condition.js';
import {
  AI_MESSAGE_FIELDS,
  chatAiAction,
  chatSubscription,
  describeSubscription,
  expectDoorDenied,
  expectGranted,
  expectNullified,
  expectSchemaDenied,
  expectSubscribed,
  expectSubscriptionRejected,
  graphqlIssueOf,
  openSubscription,
  readDescription,
  requireControlGranted,
  requireSubscriptionControl,
  restoreDescriptionAfterwards,
  resultOf,
  scopedPatOf,
  seedUpdateIssue,
  settleFirstResult,
  uniqueDescription,
  userGidOf,
  withMinimalAuthMethods,
  type GraphqlIssue,
  type ScopedPurpose,
} from './graphql.js';
import type { GitlabRole } from './needs.js';

export type OperationKey = 'ai-action' | 'ai-completion-response' | 'ai-message-fields' | 'update-issue' | 'current-user' | 'project-issues';

/**
 * What GitLab answers: served; a mutation refused with RESOURCE_ACCESS_ERROR (base_mutation.rb
 * `self.authorized?`: "in our mutations we raise, rather than returning a null value"); a query
 * field whose type the scope does not admit answered null without an error (graphql-ruby's
 * `unauthorized_object` default, which GitLab's schema keeps); refused at the door (401);
 * a subscription rejected at subscribe.
 */
export type Verdict = 'granted' | 'denied-with-error' | 'denied-as-null' | 'door-denied' | 'rejected';

export interface MatrixCell {
  operation: OperationKey;
  scope: ScopedPurpose;
  verdict: Verdict;
  /** Where GitLab decides it (file, and what in it). */
  source: string;
}

const S = {
  door: 'app/controllers/graphql_controller.rb authenticate_graphql (authorization_scopes [:api, :read_api], + :ai_features in ee/app/controllers/ee/graphql_controller.rb) and authorize_access_api! (401 "Invalid token"); controller spec: "read_user scope API token ... fails"',
  aiAction: 'ee/app/graphql/mutations/ai/action.rb: authorization_scopes super + [:ai_features]; request_id/errors fields scopes: [:api, :ai_features] (no read_api: a mutation)',
  subscription: 'ee/app/graphql/ee/types/subscription_type.rb: authorization_scopes [:api, :read_api, :ai_features]; field :ai_completion_response scopes: [:api, :read_api, :ai_features]',
  channel: 'app/channels/application_cable/channel.rb authorization_scopes [:api, :read_api] with ee/app/channels/ee/graphql_channel.rb (super + [:ai_features]); spec/channels/graphql_channel_spec.rb: a read_user token is rejected at subscribe',
  aiMessage: 'ee/app/graphql/types/ai/message_type.rb (AiMessage): authorization_scopes [:api, :read_api, :ai_features], every field scopes: [:api, :read_api, :ai_features]',
  updateIssue: 'app/graphql/mutations/issues/update.rb (Mutations::Issues::Update < Issues::Base < BaseMutation): no authorization_scopes override, so api only; the seed: "An ai_features scope token cannot call the updateIssue mutation"',
  defaults: 'app/graphql/types/base_object.rb: authorization_scopes [:api, :read_api] and self.authorized? (ObjectAuthorization with the scope validator); no ai_features override on CurrentUserType/UserType/ProjectType (the seed\'s MR widened only the types Duo Chat uses); an unauthorized object is nil without an error (graphql-ruby Schema.unauthorized_object)',
} as const;

/** The matrix (flag graphql_minimal_auth_methods on, as the seed's "How to test" sets it). */
export const SCOPE_MATRIX: readonly MatrixCell[] = [
  { operation: 'ai-action', scope: 'api', verdict: 'granted', source: S.aiAction },
  { operation: 'ai-action', scope: 'read_api', verdict: 'denied-with-error', source: S.aiAction },
  { operation: 'ai-action', scope: 'ai_features', verdict: 'granted', source: S.aiAction },
  { operation: 'ai-action', scope: 'read_user', verdict: 'door-denied', source: S.door },
  { operation: 'ai-completion-response', scope: 'api', verdict: 'granted', source: S.subscription },
  { operation: 'ai-completion-response', scope: 'read_api', verdict: 'granted', source: S.subscription },
  { operation: 'ai-completion-response', scope: 'ai_features', verdict: 'granted', source: S.subscription },
  { operation: 'ai-completion-response', scope: 'read_user', verdict: 'rejected', source: S.channel },
  { operation: 'ai-message-fields', scope: 'api', verdict: 'granted', source: S.aiMessage },
  { operation: 'ai-message-fields', scope: 'read_api', verdict: 'granted', source: S.aiMessage },
  { operation: 'ai-message-fields', scope: 'ai_features', verdict: 'granted', source: S.aiMessage },
  { operation: 'ai-message-fields', scope: 'read_user', verdict: 'rejected', source: S.channel },
  { operation: 'update-issue', scope: 'api', verdict: 'granted', source: S.updateIssue },
  { operation: 'update-issue', scope: 'read_api', verdict: 'denied-with-error', source: S.updateIssue },
  { operation: 'update-issue', scope: 'ai_features', verdict: 'denied-with-error', source: S.updateIssue },
  { operation: 'update-issue', scope: 'read_user', verdict: 'door-denied', source: S.door },
  { operation: 'current-user', scope: 'api', verdict: 'granted', source: S.defaults },
  { operation: 'current-user', scope: 'read_api', verdict: 'granted', source: S.defaults },
  { operation: 'current-user', scope: 'ai_features', verdict: 'denied-as-null', source: S.defaults },
  { operation: 'current-user', scope: 'read_user', verdict: 'door-denied', source: S.door },
  { operation: 'project-issues', scope: 'api', verdict: 'granted', source: S.defaults },
  { operation: 'project-issues', scope: 'read_api', verdict: 'granted', source: S.defaults },
  { operation: 'project-issues', scope: 'ai_features', verdict: 'denied-as-null', source: S.defaults },
  { operation: 'project-issues', scope: 'read_user', verdict: 'door-denied', source: S.door },
];

/** The stable check id of a cell: `allows-<operation>-with-<scope>` or `denies-...`. */
export function cellCheckId(cell: MatrixCell): string {
  return `${cell.verdict === 'granted' ? 'allows' : 'denies'}-${cell.operation}-with-${cell.scope.replace(/_/g, '-')}`;
}

const OPERATION_TITLE: Record<OperationKey, string> = {
  'ai-action': 'the aiAction(chat) mutation',
  'ai-completion-response': 'the aiCompletionResponse subscription (over ActionCable)',
  'ai-message-fields': 'the AiMessage fields of a streamed message',
  'update-issue': 'the updateIssue mutation',
  'current-user': 'the currentUser query',
  'project-issues': "a project's issues",
};

const VERDICT_TITLE: Record<Verdict, string> = {
  granted: 'is served',
  'denied-with-error': 'is refused with GitLab\'s "resource ... does not exist or you don\'t have permission" error (the api token is served)',
  'denied-as-null': 'answers null (the type does not admit the scope; the api token is served)',
  'door-denied': 'is refused with 401 Invalid token (the api token is served)',
  rejected: 'is rejected at subscribe (the api token is confirmed)',
};

export function cellTitle(cell: MatrixCell): string {
  return `With a ${cell.scope} token, ${OPERATION_TITLE[cell.operation]} ${VERDICT_TITLE[cell.verdict]}`;
}

// --- The HTTP cells (queries and mutations) --------------------------------------------------

interface HttpOperation {
  /** The root field the verdict is about. */
  field: string;
  request(issue: GraphqlIssue): GraphqlRequest;
  /** Whether the request names the profile's graphql_issue. */
  needsIssue?: boolean;
  /** What else a granted answer must show. */
  granted?(answer: Awaited<ReturnType<typeof postGraphql>>, issue: GraphqlIssue): void;
}

const HTTP_OPERATIONS: Record<'ai-action' | 'current-user' | 'project-issues', HttpOperation> = {
  'ai-action': {
    field: 'aiAction',
    request: () => chatAiAction('Hello', randomUUID()),
    granted(answer) {
      const requestId = dataAt(answer, ['aiAction', 'requestId']);
      const errors = dataAt(answer, ['aiAction', 'errors']);
      expectThat(typeof requestId === 'string' && requestId.length > 0 && (errors === undefined || (Array.isArray(errors) && errors.length === 0)), 'aiAction returned no requestId (or payload errors)', {
        expected: { 'data.aiAction.requestId': 'a string', 'data.aiAction.errors': [] },
        actual: shownBody(answer.res),
        res: answer.res,
      });
    },
  },
  'current-user': {
    field: 'currentUser',
    request: () => ({ query: '{\n  currentUser {\n    id\n    username\n  }\n}' }),
  },
  'project-issues': {
    field: 'project',
    needsIssue: true,
    request: (issue) => ({ query: `{\n  project(fullPath: ${JSON.stringify(issue.projectPath)}) {\n    issues {\n      nodes {\n        iid\n        title\n      }\n    }\n  }\n}` }),
    granted(answer, issue) {
      const nodes = dataAt(answer, ['project', 'issues', 'nodes']);
      expectThat(Array.isArray(nodes) && nodes.some((n) => String((n as { iid?: unknown })?.iid) === issue.iid), `project.issues.nodes does not list issue ${issue.iid}`, {
        expected: { 'data.project.issues.nodes[].iid': issue.iid },
        actual: shownBody(answer.res),
        res: answer.res,
      });
    },
  },
};

/** A query or mutation cell that writes nothing: the verdict, with the api-token control for a denial. */
export const HttpCell = (role: GitlabRole, cell: MatrixCell & { operation: keyof typeof HTTP_OPERATIONS }) =>
  condition({
    name: cell.verdict === 'granted' ? 'EnsureScopeGrantsOperation' : 'EnsureScopeDeniesOperation',
    title: cellTitle(cell),
    needs: { pat: scopedPatOf(role, cell.scope) },
    async evaluate({ pat }, env) {
      await withMinimalAuthMethods(env, role);
      const op = HTTP_OPERATIONS[cell.operation];
      // Only the project query needs the profile's issue; the other cells apply without it.
      const issue = op.needsIssue ? await env.need(graphqlIssueOf(role)) : { projectPath: '', iid: '' };
      const label = `GraphQL ${op.field}`;
      if (cell.verdict !== 'granted') await requireControlGranted(env, role, op.request(issue), op.field, label);
      const answer = await postGraphql(env.http('ide', role), op.request(issue), { privateToken: pat }, `${label} (${cell.scope})`);
      judge(answer, cell, op.field);
      if (cell.verdict === 'granted') op.granted?.(answer, issue);
    },
  });

function judge(answer: Awaited<ReturnType<typeof postGraphql>>, cell: MatrixCell, field: string): void {
  const what = `${field} with the ${cell.scope} token`;
  if (cell.verdict === 'granted') expectGranted(answer, field, what);
  else if (cell.verdict === 'denied-with-error') expectSchemaDenied(answer, field, what);
  else if (cell.verdict === 'denied-as-null') expectNullified(answer, field, what);
  else expectDoorDenied(answer, what);
}

/**
 * updateIssue: the denied token's write must be refused AND leave the description as it was
 * (read back with the api token); the granted token's must be read back. The description is put
 * back afterwards, pass or fail.
 */
export const UpdateIssueCell = (role: GitlabRole, cell: MatrixCell & { operation: 'update-issue' }) =>
  condition({
    name: cell.verdict === 'granted' ? 'EnsureScopeGrantsOperation' : 'EnsureScopeDeniesOperation',
    title: cellTitle(cell),
    needs: { pat: scopedPatOf(role, cell.scope), issue: graphqlIssueOf(role) },
    async evaluate({ pat, issue }, env) {
      await withMinimalAuthMethods(env, role);
      await restoreDescriptionAfterwards(env, role, issue);
      const written = uniqueDescription(cell.verdict === 'granted' ? 'Correct update!' : 'Bad update!');
      const answer = await postGraphql(env.http('ide', role), seedUpdateIssue(issue, written), { privateToken: pat }, `GraphQL updateIssue (${cell.scope})`);
      const after = await readDescription(env, role, issue);
      if (cell.verdict === 'granted') {
        expectGranted(answer, 'updateIssue', `updateIssue with the ${cell.scope} token`);
        expectThat(String(dataAt(answer, ['updateIssue', 'issue', 'iid'])) === issue.iid && after === written, 'updateIssue did not update the issue', {
          expected: { 'data.updateIssue.issue.iid': issue.iid, description: written },
          actual: { body: shownBody(answer.res), description: after },
          res: answer.res,
        });
        return;
      }
      judge(answer, cell, 'updateIssue');
      expectThat(after !== written, `updateIssue with the ${cell.scope} token was refused but the description changed anyway`, { expected: { description: 'unchanged' }, actual: { description: after }, res: answer.res });
      await requireControlGranted(env, role, seedUpdateIssue(issue, uniqueDescription('Correct update!')), 'updateIssue', 'GraphQL updateIssue');
    },
  });

// --- The ActionCable cells -------------------------------------------------------------------

/** aiCompletionResponse: confirmed for the scopes GitLab lists, rejected at subscribe for the others. */
export const SubscribeCell = (role: GitlabRole, cell: MatrixCell & { operation: 'ai-completion-response' }) =>
  condition({
    name: cell.verdict === 'granted' ? 'EnsureScopeGrantsSubscription' : 'EnsureScopeDeniesSubscription',
    title: cellTitle(cell),
    needs: { pat: scopedPatOf(role, cell.scope), userGid: userGidOf(role) },
    async evaluate({ pat, userGid }, env) {
      await withMinimalAuthMethods(env, role);
      const request = chatSubscription(userGid, randomUUID(), 'requestId');
      if (cell.verdict !== 'granted') await requireSubscriptionControl(env, role, request);
      const opened = await openSubscription(env, role, pat, request);
      if (opened.subscription) await settleFirstResult(opened.subscription);
      if (cell.verdict === 'granted') expectSubscribed(opened, `aiCompletionResponse with the ${cell.scope} token`);
      else expectSubscriptionRejected(opened, `aiCompletionResponse with the ${cell.scope} token`);
    },
  });

/**
 * AiMessage fields: subscribed with the cell's token and selecting every field Duo Chat reads,
 * the message of a chat the same user starts (aiAction with the api token, which every scope's
 * user may trigger) arrives with all of them and no error; for a scope refused at subscribe,
 * no message arrives at all.
 */
export const AiMessageFieldsCell = (role: GitlabRole, cell: MatrixCell & { operation: 'ai-message-fields' }) =>
  condition({
    name: cell.verdict === 'granted' ? 'EnsureScopeReadsAiMessageFields' : 'EnsureScopeDeniesSubscription',
    title: cellTitle(cell),
    needs: { pat: scopedPatOf(role, cell.scope), api: scopedPatOf(role, 'api'), userGid: userGidOf(role) },
    async evaluate({ pat, api, userGid }, env) {
      await withMinimalAuthMethods(env, role);
      const clientSubscriptionId = randomUUID();
      const request = chatSubscription(userGid, clientSubscriptionId);
      if (cell.verdict !== 'granted') {
        await requireSubscriptionControl(env, role, request);
        const opened = await openSubscription(env, role, pat, request);
        expectSubscriptionRejected(opened, `aiCompletionResponse { ${AI_MESSAGE_FIELDS} } with the ${cell.scope} token`);
        return;
      }
      const opened = await openSubscription(env, role, pat, request);
      expectSubscribed(opened, `aiCompletionResponse { ${AI_MESSAGE_FIELDS} } with the ${cell.scope} token`);
      await triggerChat(env, role, api, clientSubscriptionId);
      const subscription = opened.subscription!;
      const delivered = () => subscription.messages.find((m) => resultOf(m).data?.aiCompletionResponse);
      await subscription.waitFor(() => delivered() !== undefined || subscription.messages.some((m) => resultOf(m).errors.length > 0), 15_000);
      const message = delivered();
      const payload = (message ? resultOf(message).data?.aiCompletionResponse : undefined) as Record<string, unknown> | undefined;
      const fields = AI_MESSAGE_FIELDS.split(' ');
      const errors = subscription.messages.flatMap((m) => resultOf(m).errors);
      expectThat(!!payload && errors.length === 0 && fields.every((f) => f in payload), `the streamed AiMessage did not carry every field for the ${cell.scope} token`, {
        expected: { fields, errors: 'none' },
        actual: describeSubscription(opened),
      });
    },
  });

/** Starts a chat for the user with the api token, so a message reaches the user's subscriptions. */
async function triggerChat(env: ConditionEnv, role: GitlabRole, apiPat: string, clientSubscriptionId: string): Promise<void> {
  const answer = await postGraphql(env.http('ide', role), chatAiAction('Hello', clientSubscriptionId), { privateToken: apiPat }, 'GraphQL aiAction(chat) (api, trigger)');
  if (answer.res.status !== 200 || answer.errors.length) {
    env.notApplicable(`aiAction(chat) with the api token was not served (HTTP ${answer.res.status}), so no message can reach the subscription`);
  }
}

/** The condition of a cell, by its kind. */
export function cellCondition(role: GitlabRole, cell: MatrixCell) {
  switch (cell.operation) {
    case 'update-issue':
      return UpdateIssueCell(role, { ...cell, operation: 'update-issue' });
    case 'ai-completion-response':
      return SubscribeCell(role, { ...cell, operation: 'ai-completion-response' });
    case 'ai-message-fields':
      return AiMessageFieldsCell(role, { ...cell, operation: 'ai-message-fields' });
    default:
      return HttpCell(role, { ...cell, operation: cell.operation });
  }
}
