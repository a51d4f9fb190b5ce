/**
 * oauth21-dcr (seed 003, the authorization server under test) against the gitlab emulator in
 * both registration modes, and against servers with defects. The emulator passes with RFC 7591
 * registration and RFC 7592 management (rfc7591), and with GitLab's own registration answer
 * (gitlab: no management, so those checks are not applicable; GitLab's generic
 * invalid_client_metadata for a bad redirect URI and its http redirect URIs only warn). A proxy
 * in front of it (test/doubles/oauth-defect-proxy.ts) passes every check when it adds no defect,
 * and each defect switched on makes exactly the checks that guard against it fail (or warn, for
 * a SHOULD), naming the clause.
 */
import { CONTROL_ROUTE, HEADER, type OAuthRegistrationMode, controlPath } from '#contracts';
import { mergeProfiles, readEmbeddedProfile } from '../scenarios/runner/profile.js';
import { runConformance } from '../scenarios/runner/run.js';
import type { CheckResult, RunResult } from '../scenarios/runner/types.js';
import type { RunningStack } from '../scenarios/runner/stack/launcher.js';
import { SCENARIOS } from '../scenarios/suites/index.js';
import { startOAuthDefectProxy, type OAuthDefect } from './doubles/oauth-defect-proxy.js';
import { demoCredentials, roleUrl, startEmbedded, tempDir } from './support.js';

let shared: RunningStack;

beforeAll(async () => {
  shared = await startEmbedded(['gitlab-saas']);
}, 60_000);
afterAll(() => shared?.stop());

/** Switches the emulator's registration answer at run time (PUT /-/harness/oauth). */
async function registrationMode(mode: OAuthRegistrationMode): Promise<void> {
  const res = await fetch(`${roleUrl(shared, 'gitlab-saas')}${controlPath(CONTROL_ROUTE.OAUTH)}`, {
    method: 'PUT',
    headers: { [HEADER.HARNESS_CONTROL]: shared.controlToken, 'content-type': 'application/json' },
    body: JSON.stringify({ registration_mode: mode }),
  });
  expect(res.status).toBe(200);
}
afterEach(() => registrationMode('rfc7591'));

/** Runs oauth21-dcr against the emulator, or a defect proxy in front of it (the emulator's URL stays the issuer). */
async function certify(options: { defects?: OAuthDefect[]; proxy?: boolean } = {}): Promise<RunResult> {
  const upstream = roleUrl(shared, 'gitlab-saas');
  const proxy = options.proxy || options.defects?.length ? await startOAuthDefectProxy({ upstream, defects: options.defects ?? [] }) : undefined;
  try {
    return await runConformance({
      scenarios: SCENARIOS,
      selected: ['oauth21-dcr'],
      profile: mergeProfiles(readEmbeddedProfile(), {
        roles: { 'gitlab-saas': { url: proxy?.url ?? upstream, issuer: upstream, control_token: shared.controlToken, credentials: demoCredentials('gitlab-saas') } },
      }),
      reportsDir: tempDir('oauth21-dcr'),
      ports: 'auto',
      quiet: true,
      handleSignals: false,
      output: { write: () => true },
    });
  } finally {
    await proxy?.close();
  }
}

const checksOf = (result: RunResult): CheckResult[] => result.scenarios.flatMap((s) => s.checks);
const check = (result: RunResult, id: string) => checksOf(result).find((c) => c.id === id)!;
/** Every check that did not pass, as `id: STATUS`. */
const notPassed = (result: RunResult) =>
  checksOf(result)
    .filter((c) => c.status !== 'PASSED')
    .map((c) => `${c.id}: ${c.status}`)
    .sort();

it('passes every check against the emulator with RFC 7591 registration and RFC 7592 management', async () => {
  const result = await certify();
  expect(result.scenarios[0]!.status).toBe('FINISHED');
  expect(notPassed(result)).toEqual([]);
  expect(result.summary.total).toBeGreaterThanOrEqual(18);
  expect(result.exitCode).toBe(0);
}, 120_000);

it("passes against GitLab's own registration answer: management not applicable, GitLab's generic error and http redirect URIs warned about", async () => {
  await registrationMode('gitlab');
  const result = await certify();
  expect(notPassed(result)).toEqual([
    'names-invalid-redirect-uri-for-a-bad-redirect-uri: WARNING',
    'reads-the-registration-with-its-access-token: SKIPPED',
    'refuses-a-deleted-client: SKIPPED',
    'refuses-a-non-loopback-http-redirect-uri: WARNING',
  ]);
  expect(check(result, 'refuses-a-deleted-client').skipReason).toMatch(/no RFC 7592 management/);
  expect(check(result, 'names-invalid-redirect-uri-for-a-bad-redirect-uri').failure?.actual).toMatchObject({ status: 400, body: { error: 'invalid_client_metadata' } });
  // GitLab drops a client_uri it does not read: allowed (RFC 7591 §3.2.1), so the MUST passes.
  expect(check(result, 'refuses-or-drops-invalid-client-metadata').status).toBe('PASSED');
  expect(result.exitCode).toBe(0);
}, 120_000);

it('passes every check through the proxy without defects: the scenario follows the metadata, not the emulator', async () => {
  const result = await certify({ proxy: true });
  expect(notPassed(result)).toEqual([]);
}, 120_000);

it('catches a server that registers any redirect URI (a fragment, cleartext off loopback)', async () => {
  const result = await certify({ defects: ['accept-any-redirect-uri'] });
  expect(notPassed(result)).toEqual([
    'names-invalid-redirect-uri-for-a-bad-redirect-uri: SKIPPED',
    'refuses-a-non-loopback-http-redirect-uri: WARNING',
    'refuses-a-redirect-uri-with-a-fragment: FAILED',
  ]);
  const failed = check(result, 'refuses-a-redirect-uri-with-a-fragment');
  expect(failed.failure?.actual).toMatchObject({ status: 201 });
  expect(failed.clauses.map((c) => c.id)).toEqual(['rfc-6749.3.1.2', 'rfc-7591.3.2.2']);
  expect(result.exitCode).toBe(1);
}, 120_000);

it('catches a server that never rotates refresh tokens for a public client', async () => {
  const result = await certify({ defects: ['no-refresh-rotation'] });
  expect(notPassed(result)).toEqual(['refuses-the-rotated-out-refresh-token: SKIPPED', 'rotates-the-refresh-token: FAILED']);
  const failed = check(result, 'rotates-the-refresh-token');
  expect(failed.failure?.actual).toEqual({ newAccessToken: true, newRefreshToken: false });
  expect(failed.clauses.map((c) => c.id)).toContain('rfc-9700.4.14.2');
  expect(result.exitCode).toBe(1);
}, 120_000);
