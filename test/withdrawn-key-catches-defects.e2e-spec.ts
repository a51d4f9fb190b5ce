/**
 * refuses-a-withdrawn-key-once-the-jwks-is-reread (checklist gateway-auth 16) against several
 * correct gateways that differ where the contract allows (ours with and without its
 * verified-token cache, an independently written double without one) and against a double that
 * keeps trusting tokens it verified once: the check passes the first three and fails the last.
 */
import { mergeProfiles, readEmbeddedProfile, type TargetProfileFile } from '../scenarios/runner/profile.js';
import { runConformance } from '../scenarios/runner/run.js';
import type { CheckResult, RunResult } from '../scenarios/runner/types.js';
import { startStack, type RunningStack } from '../scenarios/runner/stack/launcher.js';
import { defaultRoleTable } from '../scenarios/runner/stack/role-table.js';
import { SCENARIOS } from '../scenarios/suites/index.js';
import { startDoubleGateway, type GatewayDefect } from './doubles/double-gateway.js';
import { roleUrl, startEmbedded, targetsOf, tempDir } from './support.js';

const CHECK = 'refuses-a-withdrawn-key-once-the-jwks-is-reread';
let stack: RunningStack;

beforeAll(async () => {
  stack = await startEmbedded(['gitlab-saas', 'fake-model']);
}, 60_000);
afterAll(() => stack?.stop());

async function certify(gateway: NonNullable<TargetProfileFile['roles']>['ai-gateway']): Promise<CheckResult> {
  const result: RunResult = await runConformance({
    scenarios: SCENARIOS,
    selected: ['jwks-lifecycle'],
    checks: [CHECK],
    profile: mergeProfiles(readEmbeddedProfile(), { roles: { ...targetsOf(stack), 'ai-gateway': gateway } }),
    reportsDir: tempDir('withdrawn-key'),
    ports: 'auto',
    quiet: true,
    handleSignals: false,
    output: { write: () => true },
  });
  return result.scenarios[0]!.checks.find((c) => c.id === CHECK)!;
}

async function certifyDouble(defects: GatewayDefect[]): Promise<CheckResult> {
  const gateway = await startDoubleGateway({ issuer: roleUrl(stack, 'gitlab-saas'), modelUrl: roleUrl(stack, 'fake-model'), defects });
  try {
    // The double re-fetches for an unknown kid at most every 10 s: its documented cooldown.
    return await certify({ url: gateway.url, jwks_refetch_cooldown_seconds: 10 });
  } finally {
    await gateway.close();
  }
}

async function certifyOurs(verifiedTokenCacheEntries: string): Promise<CheckResult> {
  const table = defaultRoleTable();
  const spec = table['ai-gateway'];
  const profile = mergeProfiles(readEmbeddedProfile(), { roles: { 'ai-gateway': { trusted_issuers: ['gitlab-saas'] } } }, [
    { role: 'gitlab-saas', url: roleUrl(stack, 'gitlab-saas') },
    { role: 'fake-model', url: roleUrl(stack, 'fake-model') },
  ]);
  const gateway = await startStack({
    roles: ['ai-gateway'],
    profile,
    ports: 'auto',
    logsDir: tempDir('withdrawn-key-gateway'),
    controlToken: stack.controlToken,
    table: { 'ai-gateway': { ...spec, env: (ctx) => ({ ...(spec.env?.(ctx) ?? {}), AIGW_VERIFIED_TOKEN_CACHE_ENTRIES: verifiedTokenCacheEntries }) } },
  });
  try {
    return await certify({ url: roleUrl(gateway, 'ai-gateway'), control_token: stack.controlToken });
  } finally {
    await gateway.stop();
  }
}

it.each([
  ['our gateway, verified-token cache on', () => certifyOurs('10000')],
  ['our gateway, verified-token cache off', () => certifyOurs('0')],
  ['an independently written double without such a cache', () => certifyDouble([])],
])('passes %s', async (_name, run) => {
  const check = await run();
  expect({ status: check.status, failure: check.failure, skipped: check.skipReason }).toEqual({ status: 'PASSED', failure: undefined, skipped: undefined });
}, 90_000);

it('fails a gateway that keeps trusting a token it verified once, saying what came back', async () => {
  const check = await certifyDouble(['caches-verified-tokens-past-key-withdrawal']);
  expect(check.status).toBe('FAILED');
  expect(check.failure?.message).toMatch(/a key the issuer withdrew.*got 200/);
}, 90_000);
