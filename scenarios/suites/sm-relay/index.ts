import type { ScenarioDefinition } from '../../runner/types.js';
import { errorBranchChecks } from './error-branches.checks.js';
import { personaChecks } from './personas.checks.js';
import { relayFailureChecks } from './relay-failures.checks.js';
import { relayLoopChecks } from './relay-loop.checks.js';
import { secrecyChecks } from './secrecy.checks.js';
import type { SmRelayState } from './state.js';

/**
 * Seed 001: a self-managed instance relays its users' token requests to SaaS with the service
 * access token its admin stored; SaaS's JWT (realm self-managed) opens the AI gateway. The
 * IDE's loop, every step of the diagram and every error branch the seed lists.
 */
export const smRelay: ScenarioDefinition = {
  id: 'sm-relay',
  title: 'Self-managed GitLab relays token requests to SaaS with the stored service token',
  seeds: ['001'],
  diagram: 'sm-relay.mmd',
  roles: ['gitlab-sm', 'gitlab-saas', 'ai-gateway', 'fake-model'],
  async run(ctx) {
    const state: SmRelayState = { clock: { now: Date.now() } };
    await personaChecks(ctx, state);
    await relayLoopChecks(ctx, state);
    await errorBranchChecks(ctx, state);
    await relayFailureChecks(ctx);
    await secrecyChecks(ctx);
  },
};
