/**
 * Seed 004: scoped GraphQL for AI features. An `ai_features` personal access token may use the
 * GraphQL operations Duo Chat needs (the aiAction mutation, the aiCompletionResponse
 * subscription over ActionCable, AiMessage) and nothing else; an `api` token keeps full access.
 * The seed's three curl calls, then the scope matrix (graphql-matrix.ts: every cell as GitLab's
 * source decides it), the streamed chat answer, subscriptions refused at subscribe, the
 * graphql_minimal_auth_methods flag both ways, and requests GraphQL refuses as requests.
 *
 * Against an external GitLab: a token the profile does not give, no graphql_issue, or no
 * control API (the flag checks) make the checks that need them not applicable, naming it.
 */
import { FollowsTheSequenceDiagram } from '../../conditions/diagram.js';
import { FlagOffRefusesAiFeatures, FlagOnAdmitsAiFeatures, RefusesSubscriptionWith, StreamsTheChatAnswer } from '../../conditions/graphql.js';
import { SCOPE_MATRIX, cellCheckId, cellCondition, type MatrixCell } from '../../conditions/graphql-matrix.js';
import { RefusesBadRequest, SeedAiActionCall, requestErrorVariants as bad, seedFlow } from '../../conditions/graphql-requests.js';
import type { ScenarioDefinition } from '../../runner/types.js';

const SAAS = 'gitlab-saas';

/** The clauses a matrix cell verifies: the seed's statements and the GitLab source of its verdict. */
function cellClauses(cell: MatrixCell): string[] {
  const clauses = ['seed-004.top-level', 'seed-004.overrides'];
  if (cell.verdict === 'door-denied') clauses.push('gitlab.graphql.door');
  if (cell.verdict === 'denied-with-error') clauses.push('gitlab.graphql.resource-access-error');
  if (cell.verdict === 'rejected') clauses.push('gitlab.cable.graphql-channel');
  if (cell.operation === 'ai-action' || cell.operation === 'ai-completion-response' || cell.operation === 'ai-message-fields') clauses.push('gitlab.graphql.ai-scopes', 'seed-004.subscriptions');
  else clauses.push('gitlab.graphql.scope-defaults');
  return clauses;
}

/** The seed's second and third calls are matrix cells; they run with the seed's clauses first. */
const SEED_CELLS: ReadonlyArray<{ operation: MatrixCell['operation']; scope: MatrixCell['scope']; clause: string }> = [
  { operation: 'update-issue', scope: 'api', clause: 'seed-004.api-update-issue' },
  { operation: 'update-issue', scope: 'ai_features', clause: 'seed-004.ai-features-no-update-issue' },
];

const isSeedCell = (cell: MatrixCell) => SEED_CELLS.some((s) => s.operation === cell.operation && s.scope === cell.scope);

export const scopedGraphql: ScenarioDefinition = {
  id: 'scoped-graphql',
  title: 'Scoped GraphQL for AI features: ai_features tokens on aiAction and the aiCompletionResponse subscription (ActionCable), refused elsewhere; api tokens keep full access',
  seeds: ['004'],
  diagram: 'scoped-graphql.mmd',
  roles: ['gitlab-saas', 'ai-gateway', 'fake-model'],
  async run(s) {
    // The seed's "How to test" script.
    await s.must('allows-seed-ai-action-with-ai-features', SeedAiActionCall(SAAS), ['seed-004.ai-features-chat', 'seed-004.feature-flag', 'gitlab.graphql.ai-scopes']);
    for (const seedCell of SEED_CELLS) {
      const cell = SCOPE_MATRIX.find((c) => c.operation === seedCell.operation && c.scope === seedCell.scope)!;
      await s.must(cellCheckId(cell), cellCondition(SAAS, cell), [seedCell.clause, ...cellClauses(cell)]);
    }

    // The scope matrix: {api, read_api, ai_features, read_user} x the operations.
    for (const cell of SCOPE_MATRIX) {
      if (isSeedCell(cell)) continue;
      await s.must(cellCheckId(cell), cellCondition(SAAS, cell), cellClauses(cell));
    }

    // The chat answer streamed over ActionCable; tokens refused at subscribe.
    await s.must('streams-the-chat-answer-to-the-subscription', StreamsTheChatAnswer(SAAS), ['seed-004.subscriptions', 'gitlab.cable.chat-stream', 'gitlab.cable.graphql-channel']);
    await s.must('rejects-a-subscription-with-a-read-user-token', RefusesSubscriptionWith(SAAS, 'read_user', 'A read_user token subscribing to aiCompletionResponse gets reject_subscription (the api token is confirmed)'), ['gitlab.cable.graphql-channel']);
    await s.must('rejects-a-subscription-with-an-expired-token', RefusesSubscriptionWith(SAAS, 'expired', 'An expired token subscribing to aiCompletionResponse is refused (reject_subscription or the connection refused; the api token is confirmed)'), ['gitlab.cable.graphql-channel']);
    await s.must('rejects-a-subscription-with-a-revoked-token', RefusesSubscriptionWith(SAAS, 'revoked', 'A revoked token subscribing to aiCompletionResponse is refused (reject_subscription or the connection refused; the api token is confirmed)'), ['gitlab.cable.graphql-channel']);

    // graphql_minimal_auth_methods, off and on (the control API's feature-flag route).
    await s.must('refuses-ai-features-tokens-with-the-flag-off', FlagOffRefusesAiFeatures(SAAS), ['seed-004.feature-flag', 'gitlab.graphql.door']);
    await s.must('admits-ai-features-tokens-with-the-flag-on', FlagOnAdmitsAiFeatures(SAAS), ['seed-004.feature-flag', 'seed-004.ai-features-chat']);

    // Requests GraphQL refuses as requests: errors, never a 5xx.
    await s.must('answers-a-syntax-error-with-graphql-errors', RefusesBadRequest(SAAS, bad.syntaxError), ['graphql-spec.7.1.2']);
    await s.should('answers-a-syntax-error-with-200', RefusesBadRequest(SAAS, bad.syntaxErrorStatus), ['graphql-over-http.json-response']);
    await s.must('answers-an-unknown-field-with-graphql-errors', RefusesBadRequest(SAAS, bad.unknownField), ['graphql-spec.7.1.2']);
    await s.must('refuses-a-too-deep-query', RefusesBadRequest(SAAS, bad.tooDeep), ['gitlab.graphql.limits', 'graphql-spec.7.1.2']);
    await s.must('refuses-a-too-large-query', RefusesBadRequest(SAAS, bad.tooLarge), ['gitlab.graphql.limits']);
    await s.should('answers-a-body-that-is-not-json-with-a-4xx', RefusesBadRequest(SAAS, bad.notJson), ['graphql-over-http.json-response']);

    // The whole flow once more, compared with the contract's sequence diagram.
    await s.must('follows-the-sequence-diagram', FollowsTheSequenceDiagram('scoped-graphql.mmd', seedFlow(SAAS)), [
      'seed-004.ai-features-chat',
      'seed-004.subscriptions',
      'seed-004.api-update-issue',
      'seed-004.ai-features-no-update-issue',
    ]);
  },
};
