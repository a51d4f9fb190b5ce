/**
 * Seed 002: the AI access token moves from audience gitlab-code-suggestions (no scopes) to
 * gitlab-ai-gateway (with scopes), and the gateway keeps a compatibility window for legacy
 * tokens. Replayed phase by phase for SaaS tokens and for tokens a self-managed instance
 * relays. A gateway without a control API is checked in the phase it is fixed in (probed).
 */
import { FollowsTheSequenceDiagram } from '../../conditions/diagram.js';
import * as migration from '../../conditions/migration.js';
import type { ScenarioDefinition } from '../../runner/types.js';

export const audienceMigration: ScenarioDefinition = {
  id: 'audience-migration',
  title: 'Audience migration gitlab-code-suggestions -> gitlab-ai-gateway with a compatibility window',
  seeds: ['002'],
  diagram: 'audience-migration.mmd',
  roles: ['gitlab-saas', 'gitlab-sm', 'ai-gateway', 'fake-model'],
  async run(s) {
    await s.must('accepts-tokens-of-one-migration-phase', migration.AcceptsTokensOfOneMigrationPhase, ['seed-002.compatibility', 'seed-002.new-issuer']);
    await s.must('phase-1-legacy-issuer-mints-legacy-tokens', migration.IssuerMintsAs(1), ['seed-002.legacy-issuer', 'seed-002.self-managed']);
    await s.must(
      'phase-1-legacy-gateway-accepts-legacy-tokens',
      migration.GatewayAccepts(1, 'Phase 1: a gateway for aud gitlab-code-suggestions accepts the legacy SaaS and self-managed tokens', ['legacy']),
      ['seed-002.legacy-issuer'],
    );
    await s.must(
      'phase-2-new-gateway-accepts-legacy-tokens-in-the-window',
      migration.GatewayAccepts(2, 'Phase 2: the new gateway (aud gitlab-ai-gateway) with the window open accepts legacy tokens as carrying code_suggestions', ['legacy']),
      ['seed-002.compatibility'],
    );
    await s.must(
      'phase-2-new-gateway-accepts-new-tokens',
      migration.GatewayAccepts(2, 'Phase 2: the new gateway also accepts a token of the new audience with scopes (both kinds pass)', ['new']),
      ['seed-002.compatibility', 'seed-002.new-issuer'],
    );
    await s.must('phase-3-new-issuer-mints-scoped-tokens', migration.IssuerMintsAs(3), ['seed-002.new-issuer', 'seed-002.self-managed']);
    await s.must(
      'phase-3-gateway-accepts-new-and-legacy-tokens',
      migration.GatewayAccepts(3, 'Phase 3: while the window is open the gateway accepts the new tokens and the legacy ones still in use', ['new', 'legacy']),
      ['seed-002.compatibility', 'seed-002.new-issuer'],
    );
    await s.must('phase-4-closed-window-refuses-legacy-tokens', migration.ClosedWindowRefusesLegacyTokens, ['seed-002.window-closed', 'rfc-7519.4.1.3']);
    await s.must(
      'phase-4-closed-window-accepts-new-tokens',
      migration.GatewayAccepts(4, 'Phase 4: with the window closed the new SaaS and self-managed tokens still pass', ['new']),
      ['seed-002.window-closed', 'seed-002.new-issuer'],
    );
    await s.must('phase-4-refuses-new-tokens-without-the-scope', migration.RefusesNewTokensWithoutTheScope, ['seed-002.new-issuer', 'aigw.auth.scope']);
    await s.must('follows-the-sequence-diagram', FollowsTheSequenceDiagram('audience-migration.mmd', migration.MigrationReplay), [
      'seed-002.legacy-issuer',
      'seed-002.compatibility',
      'seed-002.new-issuer',
      'seed-002.window-closed',
      'seed-002.self-managed',
    ]);
  },
};
