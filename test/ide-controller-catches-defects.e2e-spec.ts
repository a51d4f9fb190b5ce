/**
 * The ide-controller-jwt scenario against IDE controllers it has never seen
 * (test/doubles/ide-controller-proxy.ts, in front of the gitlab emulator): one that differs
 * from ours where the contract allows it passes every check; each defect makes the checks that
 * guard against it fail, naming the clause and what came back. The emulators (SaaS, gateway,
 * model) are external to every run.
 */
import { mergeProfiles, readEmbeddedProfile } from '../scenarios/runner/profile.js';
import { runConformance } from '../scenarios/runner/run.js';
import type { CheckResult, RunResult } from '../scenarios/runner/types.js';
import { SCENARIOS } from '../scenarios/suites/index.js';
import { startIdeControllerProxy, type IdeControllerDefect, type IdeControllerVariant } from './doubles/ide-controller-proxy.js';
import type { RunningStack } from '../scenarios/runner/stack/launcher.js';
import { roleUrl, startEmbedded, targetsOf, tempDir } from './support.js';

let shared: RunningStack;

beforeAll(async () => {
  shared = await startEmbedded(['fake-model', 'gitlab-saas', 'ai-gateway'], { profile: { roles: { 'ai-gateway': { trusted_issuers: ['gitlab-saas'] } } } });
}, 60_000);
afterAll(() => shared?.stop());

/** ide-controller-jwt with the double as gitlab-saas; tokens and discovery still name the emulator as issuer. */
async function certify(options: { variants?: IdeControllerVariant[]; defects?: IdeControllerDefect[] }): Promise<RunResult> {
  const upstream = roleUrl(shared, 'gitlab-saas');
  const double = await startIdeControllerProxy({ upstream, controlToken: shared.controlToken, ...options });
  const targets = targetsOf(shared);
  try {
    return await runConformance({
      scenarios: SCENARIOS,
      selected: ['ide-controller-jwt'],
      profile: mergeProfiles(readEmbeddedProfile(), {
        roles: { ...targets, 'gitlab-saas': { ...targets['gitlab-saas'], url: double.url, issuer: upstream }, 'ai-gateway': { ...targets['ai-gateway'], trusted_issuers: ['gitlab-saas'] } },
      }),
      reportsDir: tempDir('ide-controller-double'),
      ports: 'auto',
      quiet: true,
      handleSignals: false,
      output: { write: () => true },
    });
  } finally {
    await double.close();
  }
}

const checksOf = (result: RunResult): CheckResult[] => result.scenarios.flatMap((s) => s.checks);
const idsWith = (result: RunResult, status: CheckResult['status']) => checksOf(result).filter((c) => c.status === status).map((c) => c.id);

it('certifies a correct IDE controller that differs where the contract allows (200, CSRF refused with 403, GET 404)', async () => {
  const result = await certify({ variants: ['answers-200', 'csrf-refused-403', 'get-404'] });
  expect(result.scenarios[0]!.status).toBe('FINISHED');
  expect(idsWith(result, 'FAILED')).toEqual([]);
  expect(idsWith(result, 'WARNING')).toEqual([]);
  expect(idsWith(result, 'SKIPPED')).toEqual([]);
  expect(idsWith(result, 'BLOCKED')).toEqual([]);
  expect(result.summary.passed).toBe(result.summary.total);
  expect(result.exitCode).toBe(0);
}, 120_000);

/** Each defect, the MUST checks that catch it, and the SHOULD checks that warn about it. */
const CAUGHT_BY: Array<[IdeControllerDefect, { failed: string[]; warned?: string[] }]> = [
  ['ignores-csrf', { failed: ['rejects-ide-token-request-without-csrf-token', 'rejects-ide-token-request-with-a-wrong-csrf-token', 'rejects-csrf-token-of-another-session'] }],
  ['token-without-exp', { failed: ['mints-ide-jwt-claims-of-the-contract', 'mints-the-claim-shape-of-option-2', 'completes-code-for-the-ide-jwt'], warned: ['limits-the-ide-jwt-to-one-hour'] }],
  ['wrong-audience', { failed: ['mints-ide-jwt-claims-of-the-contract', 'mints-the-claim-shape-of-option-2', 'completes-code-for-the-ide-jwt'] }],
  ['mints-on-get', { failed: ['refuses-get-at-the-ide-controller'] }],
  ['cacheable-answer', { failed: [], warned: ['marks-the-ide-token-answer-no-store'] }],
];

it.each(CAUGHT_BY)('catches an IDE controller with the defect %s', async (defect, { failed, warned = [] }) => {
  const result = await certify({ defects: [defect] });
  expect(idsWith(result, 'FAILED')).toEqual(expect.arrayContaining(failed));
  expect(idsWith(result, 'WARNING').sort()).toEqual([...warned].sort());
  expect(result.exitCode).toBe(failed.length ? 1 : 0);
  for (const id of failed) {
    const check = checksOf(result).find((c) => c.id === id)!;
    expect(check.severity).toBe('MUST');
    expect(check.failure?.expected).toBeDefined();
    expect(check.failure?.actual).toBeDefined();
    expect(check.clauses.length).toBeGreaterThan(0);
  }
}, 120_000);
