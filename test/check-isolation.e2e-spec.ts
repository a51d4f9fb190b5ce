/**
 * No contamination, no hidden dependencies (issue 6 §2): every check restores what it changed
 * and obtains what it needs itself, so each gives the same verdict run alone (`--check ID`)
 * as in suite order. One embedded stack serves a full run and then one run per check id.
 */
import { ROLES } from '#contracts';
import { mergeProfiles, readEmbeddedProfile, type TargetProfileFile } from '../scenarios/runner/profile.js';
import { runConformance } from '../scenarios/runner/run.js';
import { startStack, type RunningStack } from '../scenarios/runner/stack/launcher.js';
import type { CheckStatus, RunResult } from '../scenarios/runner/types.js';
import { SCENARIOS } from '../scenarios/suites/index.js';
import { tempDir } from './support.js';

let stack: RunningStack;
let profile: ReturnType<typeof mergeProfiles>;

beforeAll(async () => {
  const embedded = readEmbeddedProfile();
  stack = await startStack({ roles: [...ROLES], profile: mergeProfiles(embedded), ports: 'auto', logsDir: tempDir('isolation-logs') });
  // The running stack as external targets: the same URLs, control token, logs and gateway settings for every run.
  const roles: TargetProfileFile['roles'] = {};
  for (const r of stack.roles) {
    roles[r.role] = { ...embedded.roles?.[r.role], url: r.url, control_token: stack.controlToken, log_file: r.logFile };
  }
  profile = mergeProfiles(embedded, { roles });
}, 90_000);
afterAll(async () => {
  await stack?.stop();
});

const run = (checks: string[] = []): Promise<RunResult> =>
  runConformance({ scenarios: SCENARIOS, checks, profile, reportsDir: tempDir('isolation'), ports: 'auto', quiet: true, handleSignals: false, output: { write: () => true } });

const verdicts = (result: RunResult): Map<string, CheckStatus> =>
  new Map(result.scenarios.flatMap((s) => s.checks.map((c) => [`${s.id}/${c.id}`, c.status] as const)));

it('gives every check the same verdict alone as in suite order', async () => {
  const full = verdicts(await run());
  expect(full.size).toBeGreaterThan(90);
  const differing: string[] = [];
  for (const [key, status] of full) {
    const id = key.split('/')[1]!;
    const alone = verdicts(await run([id]));
    // A check id may exist in one scenario only; the run alone reports exactly that check.
    expect([...alone.keys()]).toContain(key);
    if (alone.get(key) !== status) differing.push(`${key}: ${status} in suite order, ${alone.get(key)} alone`);
  }
  expect(differing).toEqual([]);
}, 600_000);

it('runs only the checks asked for, and fails a --check id that matches nothing', async () => {
  const result = await run(['rejects-alg-none', 'no-such-check']);
  expect(result.scenarios.flatMap((s) => s.checks.map((c) => c.id))).toEqual(['rejects-alg-none']);
  expect(result.exitCode).toBe(2);
  expect(result.notes?.map((n) => n.message).join('\n')).toMatch(/--check no-such-check: no check/);
}, 60_000);
