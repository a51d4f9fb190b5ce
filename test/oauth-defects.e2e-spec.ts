/**
 * oauth-pkce-webide against authorization servers and gateways it has never seen. A proxy in
 * front of the gitlab emulator's authorization server (test/doubles/oauth-defect-proxy.ts)
 * passes every check when it adds no defect (the scenario is not tied to the emulator's URLs),
 * and each defect switched on makes exactly the checks that guard against it fail (or warn, for
 * a SHOULD), naming the clause. An independently written option-1 gateway
 * (test/doubles/oauth-gateway.ts) passes the gateway checks, and fails the revocation bound when
 * it caches forever; a gateway without option 1 (GitLab's: oidc only) makes them not applicable.
 * GitLab, the gateway and the model are otherwise the real emulators, external to the run.
 */
import { mergeProfiles, readEmbeddedProfile } from '../scenarios/runner/profile.js';
import { runConformance } from '../scenarios/runner/run.js';
import type { CheckResult, RunResult } from '../scenarios/runner/types.js';
import type { RunningStack } from '../scenarios/runner/stack/launcher.js';
import { SCENARIOS } from '../scenarios/suites/index.js';
import type { LoopbackServer } from '#common/testing/loopback';
import { startJoseRemoteGateway } from './doubles/jose-remote-gateway.js';
import { startOAuthDefectProxy, type OAuthDefect } from './doubles/oauth-defect-proxy.js';
import { startOAuthGateway } from './doubles/oauth-gateway.js';
import { demoCredentials, roleUrl, startEmbedded, targetsOf, tempDir } from './support.js';

/** The gateway's OAuth cache bound in this stack (the embedded profile's), so the revocation check waits it out. */
const OAUTH_CACHE_SECONDS = 2;

let shared: RunningStack;

beforeAll(async () => {
  shared = await startEmbedded(['fake-model', 'gitlab-saas', 'ai-gateway'], {
    profile: { roles: { 'ai-gateway': { trusted_issuers: ['gitlab-saas'], oauth_cache_seconds: OAUTH_CACHE_SECONDS } } },
  });
}, 60_000);
afterAll(() => shared?.stop());

/** Runs oauth-pkce-webide with the proxy as gitlab-saas (the emulator's URL stays its issuer), and another gateway when given. */
async function certify(defects: OAuthDefect[], gateway?: LoopbackServer): Promise<RunResult> {
  const upstream = roleUrl(shared, 'gitlab-saas');
  const proxy = await startOAuthDefectProxy({ upstream, defects });
  try {
    const targets = targetsOf(shared);
    return await runConformance({
      scenarios: SCENARIOS,
      selected: ['oauth-pkce-webide'],
      profile: mergeProfiles(readEmbeddedProfile(), {
        roles: {
          ...targets,
          'gitlab-saas': { url: proxy.url, issuer: upstream, control_token: shared.controlToken, credentials: demoCredentials('gitlab-saas') },
          'ai-gateway': gateway
            ? { url: gateway.url, trusted_issuers: ['gitlab-saas'], oauth_cache_seconds: OAUTH_CACHE_SECONDS }
            : { ...targets['ai-gateway'], trusted_issuers: ['gitlab-saas'], oauth_cache_seconds: OAUTH_CACHE_SECONDS },
        },
      }),
      reportsDir: tempDir('oauth-defect'),
      ports: 'auto',
      quiet: true,
      handleSignals: false,
      output: { write: () => true },
    });
  } finally {
    await proxy.close();
    await gateway?.close();
  }
}

/** The checks that send the Web IDE's OAuth token to the gateway and need it completed. */
const OPTION_1_GATEWAY_CHECKS = ['completes-code-after-a-refresh', 'completes-code-for-the-web-ide-token', 'follows-the-sequence-diagram', 'refuses-a-revoked-token-within-the-cache-bound', 'refuses-an-oauth-token-as-a-jwt'];

const checksOf = (result: RunResult): CheckResult[] => result.scenarios.flatMap((s) => s.checks);
/** Every check that did not pass, as `id: STATUS`. */
const notPassed = (result: RunResult) =>
  checksOf(result)
    .filter((c) => c.status !== 'PASSED')
    .map((c) => `${c.id}: ${c.status}`)
    .sort();

it('passes every check through the proxy without defects: the scenario follows the metadata, not the emulator', async () => {
  const result = await certify([]);
  expect(result.scenarios[0]!.status).toBe('FINISHED');
  expect(notPassed(result)).toEqual([]);
  expect(result.summary.passed).toBe(result.summary.total);
}, 120_000);

it('catches a server that takes plain PKCE (and advertises it)', async () => {
  const result = await certify(['accepts-plain-pkce']);
  expect(notPassed(result)).toEqual(['advertises-s256-only: WARNING', 'refuses-the-plain-challenge-method: FAILED']);
  const failed = checksOf(result).find((c) => c.id === 'refuses-the-plain-challenge-method')!;
  expect(failed.failure?.message).toContain('expected a redirect with error invalid_request');
  expect(failed.clauses.map((c) => c.id)).toEqual(['gitlab.oauth.pkce-s256-only', 'rfc-9700.2.1.1']);
  expect(result.exitCode).toBe(1);
}, 120_000);

it('catches an authorization response without iss (RFC 9207)', async () => {
  const result = await certify(['no-iss']);
  expect(notPassed(result)).toEqual(['returns-iss-in-the-authorization-response: FAILED']);
  const failed = checksOf(result).find((c) => c.id === 'returns-iss-in-the-authorization-response')!;
  expect(failed.failure?.expected).toEqual({ success: roleUrl(shared, 'gitlab-saas'), error: roleUrl(shared, 'gitlab-saas') });
  expect(failed.failure?.actual).toEqual({ success: null, error: null });
}, 120_000);

it('catches a replayable code, and that its first tokens were not revoked', async () => {
  const result = await certify(['replayable-codes']);
  expect(notPassed(result)).toEqual(['refuses-a-replayed-code: FAILED', 'revokes-the-tokens-of-a-replayed-code: WARNING']);
  const failed = checksOf(result).find((c) => c.id === 'refuses-a-replayed-code')!;
  expect(failed.failure?.actual).toMatchObject({ status: 200 });
}, 120_000);

it('passes the gateway checks of an independently written option-1 gateway (token info, bounded cache)', async () => {
  const gateway = await startOAuthGateway({ gitlabUrl: roleUrl(shared, 'gitlab-saas'), modelUrl: roleUrl(shared, 'fake-model'), cacheSeconds: OAUTH_CACHE_SECONDS });
  const result = await certify([], gateway);
  // It verifies no JWT, so the check that pairs a JWT refusal with an accepted JWT does not apply.
  expect(notPassed(result)).toEqual(['refuses-an-ai-jwt-as-an-oauth-token: SKIPPED']);
  expect(result.exitCode).toBe(0);
}, 120_000);

it('catches a gateway that trusts an active answer forever: a revoked token keeps working', async () => {
  const gateway = await startOAuthGateway({ gitlabUrl: roleUrl(shared, 'gitlab-saas'), modelUrl: roleUrl(shared, 'fake-model'), cacheSeconds: OAUTH_CACHE_SECONDS, defects: ['caches-forever'] });
  const result = await certify([], gateway);
  expect(notPassed(result)).toEqual(['refuses-a-revoked-token-within-the-cache-bound: FAILED', 'refuses-an-ai-jwt-as-an-oauth-token: SKIPPED']);
  const failed = checksOf(result).find((c) => c.id === 'refuses-a-revoked-token-within-the-cache-bound')!;
  expect(failed.failure?.actual).toMatchObject({ status: 200 });
}, 120_000);

it("makes option 1's gateway checks not applicable against a gateway that knows only oidc (GitLab's), and passes the rest", async () => {
  const gateway = await startJoseRemoteGateway({ issuers: [roleUrl(shared, 'gitlab-saas')], modelUrl: roleUrl(shared, 'fake-model') });
  const result = await certify([], gateway);
  expect(notPassed(result)).toEqual(OPTION_1_GATEWAY_CHECKS.map((id) => `${id}: SKIPPED`));
  for (const c of checksOf(result).filter((c) => c.status === 'SKIPPED')) expect(c.skipReason).toMatch(/does not implement seed 000 option 1/);
  // A JWT sent as an OAuth token is refused (as an unknown type): that check runs and passes.
  expect(checksOf(result).find((c) => c.id === 'refuses-an-ai-jwt-as-an-oauth-token')?.status).toBe('PASSED');
  expect(result.exitCode).toBe(0);
}, 120_000);
