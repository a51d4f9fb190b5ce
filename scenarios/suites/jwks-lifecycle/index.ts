/**
 * Seeds 000 and 002 over time: the gateway's keys when the issuer goes down and comes back,
 * and when it withdraws a key. The checks change the issuer and empty the gateway's key cache
 * through their control APIs (and put both back); against a gateway without one they are not
 * applicable.
 */
import { FollowsTheSequenceDiagram } from '../../conditions/diagram.js';
import * as jwks from '../../conditions/jwks.js';
import type { ScenarioDefinition } from '../../runner/types.js';

const SAAS = 'gitlab-saas';

export const jwksLifecycle: ScenarioDefinition = {
  id: 'jwks-lifecycle',
  title: "The gateway's keys over time: issuer outages, recovery without a restart, withdrawn keys",
  seeds: ['000', '002'],
  diagram: 'jwks-lifecycle.mmd',
  roles: ['gitlab-saas', 'ai-gateway', 'fake-model'],
  async run(s) {
    await s.should('keeps-serving-cached-keys-while-the-issuer-is-down', jwks.KeepsServingCachedKeysWhileTheIssuerIsDown(SAAS), ['checklist.gateway-auth.15']);
    await s.must('answers-401-while-no-key-is-loaded', jwks.AnswersRefusalsWhileNoKeyIsLoaded(SAAS), ['checklist.gateway-auth.15', 'aigw.auth.forbidden']);
    await s.must('recovers-when-the-issuer-comes-back', jwks.RecoversWhenTheIssuerComesBack(SAAS), ['checklist.gateway-auth.21', 'seed-000.o2.step-6']);
    await s.must('reports-whether-tokens-can-be-verified', jwks.ReportsWhetherTokensCanBeVerified(SAAS), ['checklist.gateway-auth.21', 'checklist.gateway-auth.15']);
    await s.must('stops-accepting-a-withdrawn-key', jwks.StopsAcceptingAWithdrawnKey(SAAS), ['checklist.gateway-auth.16']);
    await s.must('refuses-a-withdrawn-key-once-the-jwks-is-reread', jwks.RefusesAWithdrawnKeyOnceTheJwksIsReread(SAAS), ['checklist.gateway-auth.16', 'checklist.gateway-auth.17']);
    await s.must('follows-the-sequence-diagram', FollowsTheSequenceDiagram('jwks-lifecycle.mmd', jwks.OutageReplay), ['checklist.gateway-auth.21', 'seed-000.o2.step-6']);
  },
};
