/**
 * ide-client-oauth (seed 003, the IDE client under test) with two correct clients that differ
 * where the contracts allow it, and with clients that are broken on purpose. The reference client
 * (the default of a profile) passes every check; an independent client on openid-client, which
 * sends no state (PKCE as its CSRF defence, RFC 9700 §2.1), passes with the state check not
 * applicable; each defect double (test/doubles/ide-client-defects.mjs) fails exactly the checks
 * that guard against its defect; a client that refuses everything passes nothing.
 */
import { join } from 'node:path';
import { projectRoot } from '#contracts';
import { mergeProfiles, readEmbeddedProfile, validateProfile } from '../scenarios/runner/profile.js';
import { runConformance } from '../scenarios/runner/run.js';
import type { CheckResult, RunResult } from '../scenarios/runner/types.js';
import { SCENARIOS } from '../scenarios/suites/index.js';
import { tempDir } from './support.js';

const DOUBLES = join(projectRoot(), 'test', 'doubles');

async function certify(command?: string | string[]): Promise<RunResult> {
  return runConformance({
    scenarios: SCENARIOS,
    selected: ['ide-client-oauth'],
    profile: mergeProfiles(readEmbeddedProfile(), command ? validateProfile({ roles: { 'ide-client': { command, timeout_ms: 20_000 } } }, 'test profile') : undefined),
    reportsDir: tempDir('ide-client-oauth'),
    ports: 'auto',
    quiet: true,
    handleSignals: false,
    output: { write: () => true },
  });
}

const checksOf = (result: RunResult): CheckResult[] => result.scenarios.flatMap((s) => s.checks);
const notPassed = (result: RunResult) =>
  checksOf(result)
    .filter((c) => c.status !== 'PASSED')
    .map((c) => `${c.id}: ${c.status}`)
    .sort();
const defect = (name: string) => [process.execPath, join(DOUBLES, 'ide-client-defects.mjs'), name];

it('passes the reference client, the default of a profile, on every check', async () => {
  const result = await certify();
  expect(result.scenarios[0]!.status).toBe('FINISHED');
  expect(notPassed(result)).toEqual([]);
  expect(result.summary.total).toBe(14);
  expect(result.exitCode).toBe(0);
  // The judgement is shown: what the server observed, tokens named by their order, never their value.
  const transcript = checksOf(result).find((c) => c.id === 'shares-one-refresh-among-concurrent-requests')!.attachments!['ide-client transcript']!;
  expect(transcript).toContain('POST token refresh_token=refresh token 1 grant_type=refresh_token');
  expect(transcript).not.toMatch(/\b(at|rt|code)-[A-Za-z0-9_-]{32}/);
}, 180_000);

it('passes an independent openid-client IDE client, the state check not applicable (it sends no state)', async () => {
  const result = await certify([process.execPath, join(DOUBLES, 'openid-client-ide.mjs')]);
  expect(notPassed(result)).toEqual(['refuses-an-authorization-response-with-another-state: SKIPPED']);
  expect(result.exitCode).toBe(0);
}, 180_000);

it.each([
  ['skip-state-check', ['refuses-an-authorization-response-with-another-state: FAILED']],
  ['ignore-iss', ['refuses-an-authorization-response-from-another-issuer: FAILED', 'refuses-an-authorization-response-without-iss: FAILED']],
  ['loop-on-401', ['stops-after-one-refresh-and-one-retry: FAILED']],
  ['no-single-flight', ['shares-one-refresh-among-concurrent-requests: FAILED']],
  ['never-revoke', ['revokes-the-access-token-on-sign-out: WARNING', 'revokes-the-refresh-token-on-sign-out: FAILED']],
])('a client that is %s fails exactly the checks that guard against it', async (name, expected) => {
  const result = await certify(defect(name));
  expect(notPassed(result)).toEqual(expected);
  expect(result.exitCode).toBe(1);
  const failed = checksOf(result).find((c) => c.status === 'FAILED')!;
  expect(failed.failure?.message).toBeTruthy();
  expect(failed.clauses.length).toBeGreaterThan(0);
}, 180_000);

it('passes nothing for a client that refuses every action', async () => {
  const result = await certify(['/bin/sh', '-c', 'echo "refusing $1" >&2; exit 1', 'refuse-all']);
  const statuses = checksOf(result).map((c) => c.status);
  expect(statuses).toHaveLength(14);
  expect(statuses.filter((s) => s === 'PASSED')).toEqual([]);
  expect(statuses.filter((s) => s === 'SKIPPED')).toEqual([]);
  expect(result.exitCode).toBe(1);
}, 180_000);

it('refuses a profile whose ide-client has no command, naming the key', () => {
  expect(() => validateProfile({ roles: { 'ide-client': { command: [] } } }, 'bad.yaml')).toThrow(/bad\.yaml.*\n.*\/roles\/ide-client\/command/s);
  expect(() => validateProfile({ roles: { 'ide-client': { cmd: 'x' } } }, 'bad.yaml')).toThrow(/unknown key 'cmd'/);
});
