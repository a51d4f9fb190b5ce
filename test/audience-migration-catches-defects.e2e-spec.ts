/**
 * The audience-migration scenario drives an independently written gateway through the four
 * phases of seed 002: the correct one passes, and a gateway that never closes the window or
 * gives legacy tokens no scope fails the phases that show it.
 */
import { mergeProfiles, readEmbeddedProfile } from '../scenarios/runner/profile.js';
import { runConformance } from '../scenarios/runner/run.js';
import type { RunResult } from '../scenarios/runner/types.js';
import { SCENARIOS } from '../scenarios/suites/index.js';
import { startDoubleGateway, type GatewayDefect } from './doubles/double-gateway.js';
import type { RunningStack } from '../scenarios/runner/stack/launcher.js';
import { roleUrl, startEmbedded, targetsOf, tempDir } from './support.js';

let stack: RunningStack;

beforeAll(async () => {
  stack = await startEmbedded(['gitlab-saas', 'gitlab-sm', 'fake-model']);
}, 60_000);
afterAll(() => stack?.stop());

async function migrate(defects: GatewayDefect[]): Promise<RunResult> {
  const gateway = await startDoubleGateway({ issuer: roleUrl(stack, 'gitlab-saas'), modelUrl: roleUrl(stack, 'fake-model'), defects, controlToken: stack.controlToken });
  try {
    return await runConformance({
      scenarios: SCENARIOS,
      selected: ['audience-migration'],
      profile: mergeProfiles(readEmbeddedProfile(), { roles: { ...targetsOf(stack), 'ai-gateway': { url: gateway.url, control_token: stack.controlToken } } }),
      reportsDir: tempDir('audience'),
      ports: 'auto',
      quiet: true,
      handleSignals: false,
      output: { write: () => true },
    });
  } finally {
    await gateway.close();
  }
}

const statusOf = (result: RunResult) => Object.fromEntries(result.scenarios[0]!.checks.map((c) => [c.id, c.status]));

it('passes a correct gateway through all four phases', async () => {
  const result = await migrate([]);
  expect(result.summary).toMatchObject({ failed: 0, warnings: 0, skipped: 0, blocked: 0, passed: 11 });
  expect(statusOf(result)).toMatchObject({ 'follows-the-sequence-diagram': 'PASSED' });
  expect(result.exitCode).toBe(0);
}, 60_000);

it('catches a gateway whose compatibility window never closes', async () => {
  const result = await migrate(['window-never-closes']);
  expect(statusOf(result)).toMatchObject({ 'phase-4-closed-window-refuses-legacy-tokens': 'FAILED', 'phase-3-gateway-accepts-new-and-legacy-tokens': 'PASSED' });
  const check = result.scenarios[0]!.checks.find((c) => c.id === 'phase-4-closed-window-refuses-legacy-tokens')!;
  expect(check.failure?.message).toMatch(/expected HTTP 401 .* got 200/);
  expect(check.clauses.map((c) => c.id)).toContain('seed-002.window-closed');
  expect(result.exitCode).toBe(1);
}, 60_000);

it('catches a gateway that gives legacy tokens no code_suggestions scope', async () => {
  const result = await migrate(['no-legacy-scope-mapping']);
  expect(statusOf(result)).toMatchObject({
    'phase-1-legacy-gateway-accepts-legacy-tokens': 'FAILED',
    'phase-2-new-gateway-accepts-legacy-tokens-in-the-window': 'FAILED',
    'phase-4-closed-window-accepts-new-tokens': 'PASSED',
  });
  expect(result.exitCode).toBe(1);
}, 60_000);
