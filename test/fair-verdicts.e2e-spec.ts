/**
 * Verdicts a team can trust (issue 6 §2). The whole suite runs against gateways written
 * independently of ours that differ where the contract allows it:
 * - (a) one on jose's createRemoteJWKSet with its defaults (30 s re-fetch cooldown),
 * - (b) one that ignores kid and tries every key of the token's issuer,
 * and every MUST check passes. Against (c), a gateway that refuses everything, no check that
 * talked to the gateway passes, the rejection checks end as not applicable with the reason,
 * and the failed valid keystroke says what the gateway must trust.
 */
import { mergeProfiles, readEmbeddedProfile, type RoleProfile } from '../scenarios/runner/profile.js';
import { runConformance } from '../scenarios/runner/run.js';
import type { CheckResult, RunResult, ScenarioResult } from '../scenarios/runner/types.js';
import { SCENARIOS } from '../scenarios/suites/index.js';
import { startJoseRemoteGateway } from './doubles/jose-remote-gateway.js';
import { startKidBlindGateway } from './doubles/kid-blind-gateway.js';
import type { LoopbackServer } from '#common/testing/loopback';
import { startRefuseAllGateway } from './doubles/refuse-all-gateway.js';
import type { RunningStack } from '../scenarios/runner/stack/launcher.js';
import { roleUrl, startEmbedded, targetsOf, tempDir } from './support.js';

let stack: RunningStack;
let saasUrl: string;
let smUrl: string;
let modelUrl: string;

beforeAll(async () => {
  stack = await startEmbedded(['gitlab-saas', 'gitlab-sm', 'fake-model']);
  [saasUrl, smUrl, modelUrl] = [roleUrl(stack, 'gitlab-saas'), roleUrl(stack, 'gitlab-sm'), roleUrl(stack, 'fake-model')];
}, 60_000);
afterAll(() => stack?.stop());

/**
 * The scenarios whose gateway is the one under test. scoped-graphql's chat goes GitLab -> the
 * gateway GitLab was started with, never the harness's gateway target, and this stack's GitLab
 * has none (its chat answers "not available"), so it has nothing to say about these gateways;
 * ide-client-oauth tests an IDE client against a server of its own and talks to no role.
 */
const GATEWAY_SCENARIOS = SCENARIOS.map((s) => s.id).filter((id) => id !== 'scoped-graphql' && id !== 'ide-client-oauth');

/** Every scenario against `gateway`; the GitLab instances and the model are the emulators above. */
async function certify(gateway: LoopbackServer, settings: Pick<RoleProfile, 'trusted_issuers' | 'jwks_refetch_cooldown_seconds'>): Promise<RunResult> {
  try {
    return await runConformance({
      scenarios: SCENARIOS,
      selected: GATEWAY_SCENARIOS,
      profile: mergeProfiles(readEmbeddedProfile(), { roles: { ...targetsOf(stack), 'ai-gateway': { url: gateway.url, ...settings } } }),
      reportsDir: tempDir('fair'),
      ports: 'auto',
      quiet: true,
      handleSignals: false,
      output: { write: () => true },
    });
  } finally {
    await gateway.close();
  }
}

const checks = (result: RunResult) => result.scenarios.flatMap((s) => s.checks.map((c) => ({ scenario: s, check: c })));
const failedMust = (result: RunResult) => checks(result).filter(({ check }) => check.severity === 'MUST' && (check.status === 'FAILED' || check.status === 'BLOCKED')).map(({ scenario, check }) => `${scenario.id}/${check.id}: ${check.failure?.message ?? check.skipReason}`);
const talkedToGateway = (scenario: ScenarioResult, check: CheckResult) => check.exchangeIds.some((id) => scenario.exchanges.find((x) => x.id === id)?.to === 'ai-gateway');

/** Each scenario's follows-the-sequence-diagram status: the double's own calls (keys, model) are judged too. */
const diagramVerdicts = (result: RunResult) =>
  Object.fromEntries(result.scenarios.map((s) => [s.id, s.checks.find((c) => c.id === 'follows-the-sequence-diagram')?.status]));
/** The flows a gateway without a harness control API can replay (audience-migration switches the gateway's settings through it). */
const DIAGRAMS_FOLLOWED = { 'custom-endpoint-jwt': 'PASSED', 'ide-controller-jwt': 'PASSED', 'sm-relay': 'PASSED' };

const bothIssuers = { trusted_issuers: ['gitlab-saas', 'gitlab-sm'] as Array<'gitlab-saas' | 'gitlab-sm'> };

it('passes every MUST of a gateway built on jose createRemoteJWKSet defaults (30 s cooldown, 10 min max age)', async () => {
  const gateway = await startJoseRemoteGateway({ issuers: [saasUrl, smUrl], modelUrl });
  const result = await certify(gateway, { ...bothIssuers, jwks_refetch_cooldown_seconds: 30 });
  expect(failedMust(result)).toEqual([]);
  expect(result.exitCode).toBe(0);
  // The checks that need two trusted issuers and a new key within the cooldown did run.
  const byId = new Map(checks(result).map(({ check }) => [check.id, check.status]));
  expect(byId.get('rejects-token-of-another-trusted-issuer')).toBe('PASSED');
  expect(byId.get('fetches-keys-when-the-kid-is-unknown')).toBe('PASSED');
  expect(byId.get('phase-4-closed-window-refuses-legacy-tokens')).toBe('PASSED');
  expect(diagramVerdicts(result)).toMatchObject(DIAGRAMS_FOLLOWED);
}, 180_000);

it('passes every MUST of a gateway that ignores kid and tries every trusted key', async () => {
  const gateway = await startKidBlindGateway({ issuers: [saasUrl, smUrl], modelUrl });
  const result = await certify(gateway, { ...bothIssuers, jwks_refetch_cooldown_seconds: 15 });
  expect(failedMust(result)).toEqual([]);
  expect(result.exitCode).toBe(0);
  const byId = new Map(checks(result).map(({ check }) => [check.id, check.status]));
  expect(byId.get('limits-refetches-for-unknown-kids')).toBe('PASSED');
  expect(byId.get('rejects-token-of-another-trusted-issuer')).toBe('PASSED');
  expect(diagramVerdicts(result)).toMatchObject(DIAGRAMS_FOLLOWED);
}, 180_000);

it('passes no check against a gateway that refuses everything, and says what the gateway must trust', async () => {
  const gateway = await startRefuseAllGateway();
  const result = await certify(gateway, bothIssuers);
  expect(result.exitCode).toBe(1);
  const gatewayChecks = checks(result).filter(({ scenario, check }) => talkedToGateway(scenario, check));
  expect(gatewayChecks.length).toBeGreaterThan(40);
  expect(gatewayChecks.filter(({ check }) => check.status === 'PASSED').map(({ check }) => check.id)).toEqual([]);
  const rejections = gatewayChecks.filter(({ check }) => /^(rejects|never|limits)-/.test(check.id));
  expect(rejections.length).toBeGreaterThan(20);
  for (const { check } of rejections) {
    expect(check.status).toBe('SKIPPED');
    expect(check.skipReason).toMatch(/valid keystroke this check varies was refused .*must trust the issuer/);
  }
  const valid = checks(result).find(({ check }) => check.id === 'completes-code-for-a-valid-jwt')!.check;
  expect(valid.status).toBe('FAILED');
  expect(valid.failure?.message).toContain(`must trust the issuer ${saasUrl}`);
  expect(valid.failure?.message).toContain('X-Gitlab-Instance-Id');
}, 180_000);
