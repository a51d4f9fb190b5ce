/**
 * A smoke of every Locust scenario through the compiled `npm run load` CLI, as CI runs them: a
 * few users for a few seconds, loopback only. `keystroke` lets the CLI start its own embedded
 * stack; the others load one stack started here, named by a target profile (the profile path),
 * so the file stays within a few minutes on two cores. Locust is installed by the project's
 * script when missing (a clean clone has none). Each run's summary.json and junit.xml are read.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningStack } from '../../scenarios/runner/stack/launcher.js';
import { type Finished, root, runToExit, startEmbedded, targetsOf, tempDir } from '../../test/support.js';

interface Summary {
  scenario: string;
  pass: boolean;
  machine: { cores: number; cpuModel: string; memoryGiB: number; os: string };
  build: { version: string; node: string };
  tags: Record<string, { requests: number; failures: number; p50: number; p95: number; p99: number; max: number; rps: number }>;
  thresholds: Array<{ threshold: string; pass: boolean; actual: number | null }>;
  figures: Record<string, unknown>;
  restored: Array<{ what: string; ok: boolean }>;
}

const RUN_TIMEOUT_MS = 90_000;
const reportsRoot = tempDir('load-reports');
let stack: RunningStack;
let profileFile: string;

/** Runs the compiled CLI on `scenario` (with --smoke) writing to its own reports folder; the outcome and its summary. */
async function load(scenario: string, extra: string[] = [], name = scenario, env: Record<string, string> = {}): Promise<{ run: Finished; summary: Summary | undefined; junit: string | undefined; reports: string }> {
  const reports = join(reportsRoot, name);
  const run = await runToExit('load/run/cli.js', [scenario, '--smoke', '--reports', reports, ...extra], { HOME: process.env.HOME ?? '', ...env });
  const read = (file: string) => (existsSync(join(reports, file)) ? readFileSync(join(reports, file), 'utf8') : undefined);
  const json = read('summary.json');
  return { run, summary: json ? (JSON.parse(json) as Summary) : undefined, junit: read('junit.xml'), reports };
}

/** Exit 0, every threshold listed and passed (one JUnit testcase each, none failed), and the tags seen. */
function expectPassed(outcome: Awaited<ReturnType<typeof load>>, tags: string[], noFailures: string[]): Summary {
  const { run, summary, junit } = outcome;
  if (run.code !== 0) throw new Error(`load exited ${run.code}:\n${run.stderr.slice(-4000)}\n${run.stdout.slice(-2000)}`);
  expect(summary).toBeDefined();
  const s = summary!;
  expect(s.pass).toBe(true);
  expect(s.thresholds.length).toBeGreaterThan(0);
  for (const t of s.thresholds) expect(t).toMatchObject({ pass: true });
  for (const tag of tags) expect(s.tags[tag]?.requests).toBeGreaterThan(0);
  for (const tag of noFailures) expect(s.tags[tag]?.failures).toBe(0);
  expect(s.machine).toMatchObject({ cores: expect.any(Number), cpuModel: expect.any(String), os: expect.any(String) });
  expect(s.build).toMatchObject({ version: expect.any(String), node: process.version });
  expect(junit).toBeDefined();
  expect((junit!.match(/<testcase /g) ?? []).length).toBeGreaterThanOrEqual(s.thresholds.length);
  expect(junit).not.toContain('<failure');
  for (const r of s.restored) expect(r).toMatchObject({ ok: true });
  return s;
}

beforeAll(async () => {
  const install = spawnSync('bash', [join(root, 'load', 'install-locust.sh')], { encoding: 'utf8', timeout: 300_000 });
  if (install.status !== 0) throw new Error(`load/install-locust.sh failed:\n${install.stderr}`);
  stack = await startEmbedded(['fake-model', 'gitlab-saas', 'gitlab-sm', 'ai-gateway']);
  profileFile = join(tempDir('load-profile'), 'profile.json');
  writeFileSync(profileFile, JSON.stringify({ name: 'load smoke', roles: targetsOf(stack) }));
}, 330_000);

afterAll(async () => {
  await stack?.stop();
});

describe('npm run load -- <scenario> --smoke', () => {
  it('keystroke: starts the embedded stack, completes, renews tokens near expiry, no failure, thresholds held', async () => {
    // A renewal margin of 3599 s makes a one-hour token "near expiry" a second after it was issued.
    const s = expectPassed(await load('keystroke', [], 'keystroke', { LOAD_RENEW_MARGIN_S: '3599' }), ['completion', 'token:saas'], ['completion', 'token:saas']);
    expect(s.thresholds.map((t) => t.threshold)).toEqual(expect.arrayContaining(['completion:error_rate<=0', 'completion:p95<=1000']));
    expect(s.tags['token:saas']!.requests).toBeGreaterThan(2 * 2);
  }, RUN_TIMEOUT_MS);

  it('token-storm: tokens at SaaS and through the self-managed relay, tagged apart', async () => {
    expectPassed(await load('token-storm', ['--profile', profileFile]), ['token:saas', 'token:sm-relay'], ['token:saas', 'token:sm-relay']);
  }, RUN_TIMEOUT_MS);

  it('rotation: no failed completion across a key rotation, new-key tokens used, the keys put back', async () => {
    const before = await fetch(`${stack.url('gitlab-saas')}/-/harness/keys`, { headers: { 'X-Harness-Control-Token': stack.controlToken } }).then((r) => r.json() as Promise<{ active: string; keys: unknown[] }>);
    const s = expectPassed(await load('rotation', ['--profile', profileFile]), ['completion'], ['completion']);
    expect(s.figures).toMatchObject({ rotated_at_s: expect.any(Number), new_key_completions: expect.any(Number) });
    expect(s.figures.new_kid).not.toBe(before.active);
    expect(s.restored).toHaveLength(1);
    const after = await fetch(`${stack.url('gitlab-saas')}/-/harness/keys`, { headers: { 'X-Harness-Control-Token': stack.controlToken } }).then((r) => r.json() as Promise<{ active: string; keys: unknown[] }>);
    expect(after).toEqual(before);
  }, RUN_TIMEOUT_MS);

  it('jwks-outage: cached keys serve every completion while the JWKS is down; it answers again afterwards', async () => {
    const s = expectPassed(await load('jwks-outage', ['--profile', profileFile]), ['completion'], ['completion']);
    expect(s.figures).toMatchObject({ outage_started_at_s: expect.any(Number), outage_ended_at_s: expect.any(Number), failed_completions_during_outage: 0 });
    expect((await fetch(`${stack.url('gitlab-saas')}/oauth/discovery/keys`)).status).toBe(200);
  }, RUN_TIMEOUT_MS);

  it('oauth-introspection: opaque OAuth tokens of the Web IDE complete at the gateway', async () => {
    const s = expectPassed(await load('oauth-introspection', ['--profile', profileFile]), ['completion'], ['completion']);
    expect(s.tags['token:saas']).toBeUndefined();
    expect(s.figures.oauth_tokens).toBeGreaterThan(0);
  }, RUN_TIMEOUT_MS);

  it('ramp: steps of users, each judged by its p99, the knee reported', async () => {
    const s = expectPassed(await load('ramp', ['--profile', profileFile]), ['completion'], ['completion']);
    const steps = s.figures.steps as Array<{ users: number; held: boolean }>;
    expect(steps.length).toBeGreaterThan(0);
    expect(s.figures.knee_users).toBe(steps.filter((x) => x.held).at(-1)?.users);
  }, RUN_TIMEOUT_MS);

  it('exits non-zero when a threshold fails, naming it in the summary and in JUnit', async () => {
    const { run, summary, junit } = await load('keystroke', ['--profile', profileFile, '--duration', '3', '--threshold', 'completion:max<=0.001'], 'keystroke-failing');
    expect(run.code).toBe(1);
    expect(summary?.pass).toBe(false);
    expect(summary?.thresholds.find((t) => t.threshold === 'completion:max<=0.001')).toMatchObject({ pass: false, actual: expect.any(Number) });
    expect(junit).toMatch(/<testcase classname="load.keystroke" name="threshold completion:max&lt;=0.001" time="0"><failure /);
  }, RUN_TIMEOUT_MS);

  it('refuses a target that is not on loopback, before starting anything (exit 2)', async () => {
    const remote = join(tempDir('load-remote'), 'profile.json');
    writeFileSync(remote, JSON.stringify({ roles: { 'ai-gateway': { url: 'http://192.0.2.10:5052' } } }));
    const { run, summary } = await load('keystroke', ['--profile', remote], 'remote');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('load is sent to loopback targets only (127.0.0.0/8, localhost, [::1]); not to ai-gateway http://192.0.2.10:5052');
    expect(summary).toBeUndefined();
  }, RUN_TIMEOUT_MS);
});
