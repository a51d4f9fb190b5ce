/**
 * Seed 000, option 2: the Web IDE gets a JWT from GitLab's custom endpoint through its
 * session; the AI gateway verifies it against a cached JWKS on every keystroke. Each line is a
 * check: a condition evaluated as MUST or SHOULD with the clauses it verifies.
 */
import { AUDIENCE, GATEWAY_AUTH_ERROR, GITLAB_ERROR, GITLAB_INVALID_TOKEN_DESCRIPTION, GITLAB_REALM, HEADER } from '#contracts';
import {
  AcceptsHeaderVariant,
  AcceptsMintedVariant,
  CompletesCodeForValidJwt,
  FORBIDDEN,
  NO_UNIT_PRIMITIVE,
  NeverEchoesTheToken,
  NeverFollowsJku,
  RefusesForgedToken,
  RefusesHeaderVariant,
  RefusesMintedVariant,
  RejectsBoundHeaderMismatch,
  RejectsMalformedTokens,
  RejectsTokenOfAnotherTrustedIssuer,
  ReportsGatewayReadiness,
  ServesCompletionsAlias,
  ciJobIdTokenClaims,
  claimVariants,
  forgeries,
  keystroke,
} from '../../conditions/gateway.js';
import {
  AnswersTokenRequestWith201,
  HidesEndpointWhenFeatureFlagOff,
  IgnoresSessionWithoutCsrfToken,
  IssuesJwtForBrowserSession,
  IssuesJwtForPat,
  LetsTheJwksBeCachedForADay,
  LimitsJwtToOneHour,
  MintsClaimsOfTheContract,
  RefusesTokenRequest,
  ServesJwksInGitlabShape,
  ServesOpenIdConfiguration,
  SignsJwtWithAPublishedKey,
  SignsJwtWithRs256,
  StatesOneHourLifetime,
  expectInsufficientScope,
  expectInvalidTokenChallenge,
  pat,
} from '../../conditions/issuer.js';
import {
  AcceptsANewKeyAfterForgedKids,
  AcceptsANewKeyAtOnce,
  AcceptsANewKeyWithinTheCooldown,
  LimitsRefetchesForUnknownKids,
  ServesKeystrokesFromTheKeyCache,
} from '../../conditions/jwks.js';
import { gatewayHeaders } from '../../clients/code-suggestions.js';
import type { BrowserSession } from '../../clients/gitlab-session.js';
import { FollowsTheSequenceDiagram, type DiagramReplay } from '../../conditions/diagram.js';
import { browserSessionOf, requestAiToken } from '../../conditions/needs.js';
import type { ScenarioDefinition } from '../../runner/types.js';

const SAAS = 'gitlab-saas';

/** Seed 000 option 2 end to end: a token through the browser session, then one keystroke with a cold key cache where the harness can empty it. */
const webIdeFlow: DiagramReplay = {
  flow: "a token through the browser session, then one keystroke with the gateway's key cache cold where the harness can empty it",
  async prepare(env) {
    const browser = await env.need(browserSessionOf(SAAS));
    await env.target('ai-gateway').control?.clearJwksCache();
    return browser;
  },
  async run(env, prepared) {
    const browser = prepared as BrowserSession;
    const token = await requestAiToken(env, SAAS, { Cookie: browser.cookie, [HEADER.CSRF_TOKEN]: browser.csrfToken }, 'IDE: POST tokens (browser session)');
    await keystroke(env, gatewayHeaders(token.token, token.decoded.claims), 'IDE: keystroke');
  },
};
const NO_HEADER = { status: 401, body: { error: GATEWAY_AUTH_ERROR.NO_HEADER } };
const INVALID_HEADER = { status: 401, body: { error: GATEWAY_AUTH_ERROR.INVALID_HEADER } };
const INVALID_TYPE = { status: 401, body: { error: GATEWAY_AUTH_ERROR.INVALID_TYPE } };
const without = (headers: Record<string, string>, name: string) => Object.fromEntries(Object.entries(headers).filter(([h]) => h !== name));

export const customEndpointJwt: ScenarioDefinition = {
  id: 'custom-endpoint-jwt',
  title: 'Custom API endpoint issues a JWT; the gateway verifies it against a cached JWKS on every keystroke',
  seeds: ['000'],
  diagram: 'custom-endpoint-jwt.mmd',
  roles: ['gitlab-saas', 'ai-gateway', 'fake-model'],
  async run(s) {
    // Steps 6-7 from the issuer's side: what the gateway fetches when its key cache is cold.
    await s.must('serves-openid-configuration', ServesOpenIdConfiguration(SAAS), ['gitlab.discovery', 'oidc-discovery.4.3']);
    await s.must('serves-jwks-in-gitlab-shape', ServesJwksInGitlabShape(SAAS), ['gitlab.jwks.shape', 'rfc-7517.5', 'seed-000.o2.step-6']);
    await s.should('lets-the-jwks-be-cached-for-a-day', LetsTheJwksBeCachedForADay(SAAS), ['gitlab.jwks.shape']);

    // Steps 1-3: the token endpoint, its token, and its guards.
    await s.must('issues-jwt-for-browser-session', IssuesJwtForBrowserSession(SAAS), ['seed-000.o2.step-1', 'seed-000.o2.step-2', 'gitlab.session.csrf', 'gitlab.tokens.response']);
    await s.should('answers-token-request-with-201', AnswersTokenRequestWith201(SAAS), ['gitlab.tokens.response']);
    await s.should('states-one-hour-lifetime', StatesOneHourLifetime(SAAS), ['gitlab.tokens.response', 'seed-000.o2.step-3']);
    await s.must('signs-jwt-with-rs256', SignsJwtWithRs256(SAAS), ['gitlab.tokens.claims', 'rfc-8725.3.1', 'rfc-8725.3.10']);
    await s.must('mints-claims-of-the-contract', MintsClaimsOfTheContract(SAAS, SAAS, GITLAB_REALM.SAAS), ['gitlab.tokens.claims', 'aigw.auth.header-binding']);
    await s.should('limits-jwt-to-one-hour', LimitsJwtToOneHour(SAAS), ['gitlab.tokens.claims']);
    await s.must('signs-jwt-with-a-published-key', SignsJwtWithAPublishedKey(SAAS, SAAS), ['rfc-7515.5.2', 'seed-000.o2.step-6', 'seed-000.o2.step-8']);
    await s.must('issues-jwt-for-ai-features-pat', IssuesJwtForPat(SAAS, 'ai_features', 'authorization'), ['gitlab.tokens.scope', 'gitlab.tokens.response']);
    await s.must('accepts-private-token-header', IssuesJwtForPat(SAAS, 'api', 'private-token'), ['gitlab.tokens.scope', 'gitlab.tokens.auth']);
    const refused = (title: string, label: string, headers: Parameters<typeof RefusesTokenRequest>[2]['headers'], expected: Parameters<typeof RefusesTokenRequest>[3]) =>
      RefusesTokenRequest(SAAS, title, { label, headers }, expected);
    await s.must('rejects-token-request-without-credentials', refused('No credentials -> 401 {"message":"401 Unauthorized"}', 'no credentials', async () => ({}), { status: 401, body: GITLAB_ERROR.UNAUTHORIZED }), ['gitlab.tokens.auth']);
    await s.must(
      'rejects-unknown-personal-access-token',
      refused('An unknown personal access token -> 401 {"message":"401 Unauthorized"}', 'unknown PAT', async () => ({ [HEADER.AUTHORIZATION]: 'Bearer glpat-not-a-token-of-anybody-0000' }), { status: 401, body: GITLAB_ERROR.UNAUTHORIZED }),
      ['gitlab.tokens.auth'],
    );
    for (const purpose of ['revoked', 'expired'] as const) {
      await s.must(
        `rejects-${purpose}-personal-access-token`,
        refused(`${purpose === 'expired' ? 'An' : 'A'} ${purpose} personal access token -> 401 invalid_token (${GITLAB_INVALID_TOKEN_DESCRIPTION[purpose === 'expired' ? 'EXPIRED' : 'REVOKED']}) with a WWW-Authenticate Bearer challenge`, `${purpose} PAT`, pat(SAAS, purpose), expectInvalidTokenChallenge),
        ['gitlab.tokens.auth'],
      );
    }
    await s.must('rejects-pat-without-ai-scope', refused('A personal access token with only read_user -> 403 insufficient_scope naming the scopes that would do', 'read_user PAT', pat(SAAS, 'read_user'), expectInsufficientScope), ['gitlab.tokens.scope']);
    await s.must(
      'rejects-user-without-code-suggestions',
      refused('A user with no group that enables code suggestions -> 401 {"message":"401 Unauthorized"}', 'user without code suggestions', pat(SAAS, 'no_code_suggestions'), { status: 401, body: GITLAB_ERROR.UNAUTHORIZED }),
      ['gitlab.tokens.access'],
    );
    await s.must('ignores-session-without-csrf-token', IgnoresSessionWithoutCsrfToken(SAAS), ['gitlab.session.csrf', 'gitlab.tokens.auth']);
    await s.must('hides-endpoint-when-feature-flag-off', HidesEndpointWhenFeatureFlagOff(SAAS), ['gitlab.tokens.feature-flag']);

    // Steps 4-11: every keystroke is verified against the cached keys and completed.
    await s.should('reports-gateway-readiness', ReportsGatewayReadiness(SAAS), ['aigw.jwks.cache']);
    await s.must('completes-code-for-a-valid-jwt', CompletesCodeForValidJwt(SAAS), ['seed-000.o2.step-4', 'seed-000.o2.step-8', 'aigw.completions.response']);
    await s.should('serves-completions-alias', ServesCompletionsAlias(SAAS), ['aigw.completions.response']);
    await s.must('serves-keystrokes-from-the-key-cache', ServesKeystrokesFromTheKeyCache(SAAS), ['seed-000.o2.step-5', 'aigw.jwks.cache']);
    await s.must('fetches-keys-when-the-kid-is-unknown', AcceptsANewKeyWithinTheCooldown(SAAS), ['seed-000.o2.step-6', 'checklist.gateway-auth.6', 'checklist.gateway-auth.17']);
    await s.should('accepts-a-new-key-at-once', AcceptsANewKeyAtOnce(SAAS), ['checklist.gateway-auth.17']);
    await s.must('limits-refetches-for-unknown-kids', LimitsRefetchesForUnknownKids(SAAS), ['checklist.gateway-auth.6', 'rfc-7517.5']);
    await s.should('accepts-a-new-key-after-forged-kids', AcceptsANewKeyAfterForgedKids(SAAS), ['checklist.gateway-auth.6', 'checklist.gateway-auth.17']);

    // The gateway's refusals: each paired with the valid keystroke it varies.
    await s.must('rejects-missing-authorization', RefusesHeaderVariant(SAAS, 'No Authorization header -> 401 "No authorization header presented"', (h) => without(h, HEADER.AUTHORIZATION), [NO_HEADER]), ['aigw.auth.no-header']);
    await s.must(
      'rejects-non-bearer-scheme',
      RefusesHeaderVariant(SAAS, 'A Basic credential instead of Bearer -> 401 "Invalid authorization header"', (h) => ({ ...h, [HEADER.AUTHORIZATION]: `Basic ${Buffer.from('user:pass').toString('base64')}` }), [INVALID_HEADER]),
      ['aigw.auth.bad-header', 'rfc-6750.2.1'],
    );
    await s.should('accepts-lowercase-bearer-scheme', AcceptsHeaderVariant(SAAS, 'The auth scheme is case-insensitive: "bearer <jwt>" is accepted', (h, t) => ({ ...h, [HEADER.AUTHORIZATION]: `bearer ${t.token}` })), ['aigw.auth.bad-header', 'rfc-6750.2.1']);
    await s.should('accepts-bearer-with-several-spaces', AcceptsHeaderVariant(SAAS, '"Bearer" followed by two spaces is accepted (credentials = "Bearer" 1*SP b64token)', (h, t) => ({ ...h, [HEADER.AUTHORIZATION]: `Bearer  ${t.token}` })), ['rfc-6750.2.1']);
    await s.must(
      'rejects-bearer-without-token',
      RefusesHeaderVariant(SAAS, '"Bearer" with no token -> 401 (Invalid authorization header, or Forbidden by auth provider)', (h) => ({ ...h, [HEADER.AUTHORIZATION]: 'Bearer ' }), [INVALID_HEADER, FORBIDDEN]),
      ['aigw.auth.bad-header', 'rfc-6750.2.1'],
    );
    await s.must(
      'rejects-two-authorization-headers',
      RefusesHeaderVariant(SAAS, 'Two Authorization headers (a valid token and another) -> 400 or 401, never a silent pick of one', (h) => ({ headers: h, repeatedHeaders: [[HEADER.AUTHORIZATION, 'Bearer eyJhbGciOiJub25lIn0.e30.']] }), [{ status: 400 }, { status: 401 }]),
      ['rfc-9110.5.3', 'rfc-6750.2.1'],
    );
    await s.must('rejects-authentication-type-missing', RefusesHeaderVariant(SAAS, 'X-Gitlab-Authentication-Type missing -> 401 "Invalid authentication token type - only OIDC is supported"', (h) => without(h, HEADER.AUTHENTICATION_TYPE), [INVALID_TYPE]), ['aigw.auth.type']);
    await s.must('rejects-authentication-type-not-oidc', RefusesHeaderVariant(SAAS, 'X-Gitlab-Authentication-Type not oidc -> 401 "Invalid authentication token type - only OIDC is supported"', (h) => ({ ...h, [HEADER.AUTHENTICATION_TYPE]: 'sat' }), [INVALID_TYPE]), ['aigw.auth.type']);

    const minted = (title: string, change: () => object, refusals = [FORBIDDEN]) => RefusesMintedVariant(SAAS, title, change, refusals);
    await s.must('rejects-expired-token', minted('A token that expired an hour ago -> 401 "Forbidden by auth provider"', claimVariants.expired), ['rfc-7519.4.1.4', 'aigw.auth.forbidden']);
    await s.must('rejects-token-not-yet-valid', minted('A token whose nbf is an hour ahead -> 401 "Forbidden by auth provider"', claimVariants.notYetValid), ['rfc-7519.4.1.5', 'aigw.auth.forbidden']);
    await s.must('rejects-wrong-audience', minted('A token for another audience -> 401 "Forbidden by auth provider"', claimVariants.wrongAudience), ['rfc-7519.4.1.3', 'aigw.auth.forbidden']);
    await s.must('rejects-token-without-audience', minted('A validly signed token without aud -> 401 "Forbidden by auth provider"', claimVariants.withoutAudience), ['rfc-7519.4.1.3', 'checklist.gateway-auth.19', 'aigw.auth.forbidden']);
    await s.must('rejects-token-without-expiry', minted('A validly signed token without exp -> 401 "Forbidden by auth provider"', claimVariants.withoutExpiry), ['rfc-8725.3.9', 'checklist.gateway-auth.19', 'aigw.auth.forbidden']);
    await s.must('rejects-untrusted-issuer', minted('A token signed by a trusted key but naming an untrusted issuer -> 401 "Forbidden by auth provider"', claimVariants.untrustedIssuer), ['checklist.gateway-auth.9', 'rfc-8725.3.8', 'aigw.auth.forbidden']);
    await s.must('rejects-token-of-another-trusted-issuer', RejectsTokenOfAnotherTrustedIssuer, ['checklist.gateway-auth.9', 'rfc-8725.3.8', 'aigw.auth.forbidden']);
    await s.must('rejects-unknown-critical-header', minted('A token with crit naming an extension the gateway does not understand -> 401', claimVariants.unknownCritical), ['rfc-7515.4.1.11', 'aigw.auth.forbidden']);
    await s.must('rejects-token-without-code-suggestions-scope', minted('A valid token whose scopes lack code_suggestions -> 403 {"detail":"Unauthorized to access code completions"}', claimVariants.withoutCodeSuggestions, [NO_UNIT_PRIMITIVE]), ['aigw.auth.scope']);
    await s.must(
      'rejects-ci-job-id-token',
      minted(`A CI job's ID token of the same issuer with aud ${AUDIENCE.AI_GATEWAY} grants no unit primitive -> 401 or 403`, () => ciJobIdTokenClaims(AUDIENCE.AI_GATEWAY), [FORBIDDEN, NO_UNIT_PRIMITIVE]),
      ['checklist.gateway-auth.20', 'rfc-8725.3.12'],
    );
    await s.must(
      'rejects-ci-job-id-token-with-legacy-audience',
      minted(`A CI job's ID token with the legacy aud ${AUDIENCE.LEGACY_CODE_SUGGESTIONS} grants nothing, compatibility window included -> 401 or 403`, () => ciJobIdTokenClaims(AUDIENCE.LEGACY_CODE_SUGGESTIONS), [FORBIDDEN, NO_UNIT_PRIMITIVE]),
      ['checklist.gateway-auth.20', 'seed-002.compatibility'],
    );
    await s.should('tolerates-small-clock-skew', AcceptsMintedVariant(SAAS, 'A token whose nbf is 5 s ahead (issuer clock slightly fast) is accepted', claimVariants.smallClockSkew), ['rfc-7519.4.1.5']);
    await s.should('accepts-token-without-kid', AcceptsMintedVariant(SAAS, 'A validly signed token without kid (as older GitLab issuers sent) is verified against the trusted keys', claimVariants.withoutKid), ['checklist.gateway-auth.7']);

    const forged = (title: string, forge: Parameters<typeof RefusesForgedToken>[2]) => RefusesForgedToken(SAAS, title, forge);
    await s.must('rejects-bad-signature', forged('A token whose claims were altered after signing -> 401', forgeries.alteredClaims), ['rfc-7515.5.2', 'aigw.auth.forbidden']);
    await s.must('rejects-corrupted-signature', forged('A token with one signature bit flipped -> 401', forgeries.corruptedSignature), ['rfc-7515.5.2', 'aigw.auth.forbidden']);
    await s.must('rejects-alg-none', forged('An unsigned token (alg none) -> 401', forgeries.algNone), ['rfc-8725.3.1', 'checklist.gateway-auth.4', 'aigw.auth.forbidden']);
    await s.must('rejects-hs256-keyed-with-public-key', forged("HS256 \"signed\" with the issuer's RSA public key (algorithm confusion) -> 401", forgeries.hs256WithPublicKey(SAAS)), ['rfc-8725.3.1', 'checklist.gateway-auth.4', 'aigw.auth.forbidden']);
    await s.must('rejects-embedded-jwk', forged('A token signed by a foreign key that it carries in its own jwk header -> 401', forgeries.embeddedJwk), ['rfc-8725.3.10', 'aigw.auth.forbidden']);
    await s.must('never-follows-jku', NeverFollowsJku(SAAS), ['rfc-8725.3.10', 'checklist.gateway-auth.5', 'aigw.auth.forbidden']);
    await s.must('rejects-malformed-tokens-without-crashing', RejectsMalformedTokens(SAAS), ['checklist.gateway-auth.14']);
    for (const header of [HEADER.REALM, HEADER.INSTANCE_ID]) {
      await s.must(`rejects-${header.toLowerCase()}-mismatch`, RejectsBoundHeaderMismatch(SAAS, header), ['aigw.auth.header-binding']);
    }
    await s.must('never-echoes-the-token', NeverEchoesTheToken(SAAS), ['checklist.gateway-auth.18']);

    // The whole flow once more, compared with the contract's sequence diagram.
    await s.must('follows-the-sequence-diagram', FollowsTheSequenceDiagram('custom-endpoint-jwt.mmd', webIdeFlow), [
      'seed-000.o2.step-1',
      'seed-000.o2.step-4',
      'seed-000.o2.step-5',
      'seed-000.o2.step-6',
      'seed-000.o2.step-8',
    ]);
  },
};
