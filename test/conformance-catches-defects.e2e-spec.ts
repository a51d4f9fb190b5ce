/**
 * A conformance check that cannot fail is a defect. An independently written gateway
 * (test/doubles/double-gateway.ts) passes the suite when correct, and each defect switched on
 * makes the checks that guard against it fail, with a message naming what came back.
 */
import { mergeProfiles, readEmbeddedProfile } from '../scenarios/runner/profile.js';
import { runConformance } from '../scenarios/runner/run.js';
import type { RunResult } from '../scenarios/runner/types.js';
import { SCENARIOS } from '../scenarios/suites/index.js';
import { startDoubleGateway, type GatewayDefect } from './doubles/double-gateway.js';
import type { RunningStack } from '../scenarios/runner/stack/launcher.js';
import { roleUrl, startEmbedded, targetsOf, tempDir } from './support.js';

/** SaaS and the model (whose request log shows the gateway's model call, diagram step 10). */
let stack: RunningStack;

beforeAll(async () => {
  stack = await startEmbedded(['gitlab-saas', 'fake-model']);
}, 60_000);
afterAll(() => stack?.stop());

/** Runs custom-endpoint-jwt against a double with the given defects; every other role is the shared emulator. */
async function certify(defects: GatewayDefect[]): Promise<{ result: RunResult; console: string }> {
  const gateway = await startDoubleGateway({ issuer: roleUrl(stack, 'gitlab-saas'), modelUrl: roleUrl(stack, 'fake-model'), defects });
  const profile = mergeProfiles(readEmbeddedProfile(), {
    // The double re-fetches for an unknown kid at most every 10 s: its documented cooldown.
    roles: { ...targetsOf(stack), 'ai-gateway': { url: gateway.url, jwks_refetch_cooldown_seconds: 10 } },
  });
  let console = '';
  try {
    const result = await runConformance({
      scenarios: SCENARIOS,
      selected: ['custom-endpoint-jwt'],
      profile,
      reportsDir: tempDir('defect'),
      ports: 'auto',
      quiet: true,
      handleSignals: false,
      output: { write: (s: string) => ((console += s), true) },
    });
    return { result, console };
  } finally {
    await gateway.close();
  }
}

const failedIds = (result: RunResult) => result.scenarios.flatMap((s) => s.checks).filter((c) => c.status === 'FAILED').map((c) => c.id);
const checkOf = (result: RunResult, id: string) => result.scenarios[0]!.checks.find((c) => c.id === id)!;

it('certifies the correct double: the suite is not tied to our own gateway', async () => {
  const { result } = await certify([]);
  expect(failedIds(result)).toEqual([]);
  expect(result.summary).toMatchObject({ failed: 0, blocked: 0 });
  expect(result.exitCode).toBe(0);
  // The replayed flow, the double's model call included, was judged against the diagram.
  expect(checkOf(result, 'follows-the-sequence-diagram').status).toBe('PASSED');
}, 60_000);

const CAUGHT_BY: Array<[GatewayDefect, string[]]> = [
  ['skip-audience-check', ['rejects-wrong-audience']],
  ['skip-issuer-check', ['rejects-untrusted-issuer']],
  ['accept-alg-none', ['rejects-alg-none', 'never-echoes-the-token']],
  ['ignore-token-lifetime', ['rejects-expired-token', 'rejects-token-not-yet-valid']],
  ['skip-header-binding', ['rejects-x-gitlab-realm-mismatch', 'rejects-x-gitlab-instance-id-mismatch']],
  ['ignore-scopes', ['rejects-token-without-code-suggestions-scope']],
  ['echo-token-in-errors', ['never-echoes-the-token']],
  ['follow-jku', ['never-follows-jku']],
  ['crash-on-malformed-token', ['rejects-malformed-tokens-without-crashing']],
  ['refetch-jwks-every-request', ['serves-keystrokes-from-the-key-cache']],
  ['never-refetch-jwks', ['fetches-keys-when-the-kid-is-unknown']],
];

it.each(CAUGHT_BY)('catches a gateway with the defect %s', async (defect, checks) => {
  const { result } = await certify([defect]);
  expect(result.exitCode).toBe(1);
  expect(failedIds(result)).toEqual(expect.arrayContaining(checks));
  for (const id of checks) {
    const check = result.scenarios[0]!.checks.find((c) => c.id === id)!;
    expect(check.severity).toBe('MUST');
    expect(check.failure?.message.length).toBeGreaterThan(10);
    expect(check.failure?.expected).toBeDefined();
    expect(check.failure?.actual).toBeDefined();
    expect(check.clauses.length).toBeGreaterThan(0);
  }
}, 60_000);

it('catches a gateway that answers completions without asking the model, and nothing else', async () => {
  const { result } = await certify(['answers-without-the-model']);
  expect(result.exitCode).toBe(1);
  // Its canned answer is schema-valid: only the sequence diagram shows the missing model call.
  expect(failedIds(result)).toEqual(['follows-the-sequence-diagram']);
  const check = checkOf(result, 'follows-the-sequence-diagram');
  expect(check.severity).toBe('MUST');
  // The replay ended after the keystroke; with a warm key cache the next request may also be a key fetch (steps 6-7).
  expect(check.failure?.message).toMatch(/the replay ended where the diagram still has .*step 10 \(GW->>M: completion request\).* \(a missing request\)/);
  expect(check.failure?.expected).toMatchObject({ diagram: 'custom-endpoint-jwt.mmd', next: expect.arrayContaining(['step 10 (GW->>M: completion request)']) });
  expect(check.failure?.actual).toMatchObject({ observed: null });
}, 60_000);

it('tells the user which check failed, under which clause, and what came back', async () => {
  const { console } = await certify(['skip-audience-check']);
  expect(console).toMatch(/FAILED\s+MUST\s+custom-endpoint-jwt\/rejects-wrong-audience/);
  expect(console).toContain('rfc-7519.4.1.3');
  expect(console).toMatch(/expected HTTP 401 .*got 200/);
  expect(console).toMatch(/POST http:\/\/127\.0\.0\.1:\d+\/v2\/code\/completions/);
}, 60_000);
