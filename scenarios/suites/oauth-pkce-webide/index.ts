/**
 * Seed 000 option 1: the Web IDE as an instance-wide trusted OAuth application (authorization
 * code + PKCE); the gateway verifies its opaque access token by a back channel to GitLab. Each
 * line is a check: a condition evaluated as MUST or SHOULD with the clauses it verifies. The
 * authorization server's rules are those of GitLab's OAuth server and the RFCs it follows
 * (RFC 6749, 7636, 7009, 8414, 9207, 9700); against an external authorization server, what it
 * was not configured with (no trusted application, no token info) ends not applicable, naming it.
 */
import { UserAgent } from '../../clients/user-agent.js';
import { FollowsTheSequenceDiagram, type DiagramReplay } from '../../conditions/diagram.js';
import { keystroke } from '../../conditions/gateway.js';
import {
  CompletesCodeAfterARefresh,
  CompletesCodeForTheWebIdeToken,
  RefusesARevokedTokenWithinTheCacheBound,
  RefusesAnAiJwtAsAnOAuthToken,
  RefusesAnOAuthTokenAsAJwt,
  expectOAuthTypeServed,
  oauthKeystrokeHeaders,
} from '../../conditions/oauth-gateway.js';
import {
  AdvertisesIssInAuthorizationResponses,
  AdvertisesS256Only,
  AsksConsentForAThirdPartyApp,
  DenialRedirectsAccessDenied,
  DescribesAValidToken,
  ExchangesTheCode,
  MarksErrorsNoStore,
  NamesTheIssuerItWasFetchedFrom,
  NeverRedirectsToAnUnregisteredUri,
  PublishesServerMetadata,
  RefusesAGrantTheClientMayNotUse,
  RefusesAuthorizationVariant,
  RefusesToWidenScopeOnRefresh,
  RefusesTokenRequest,
  ReturnsStateUnchanged,
  ReturnsTheIssuerInTheResponse,
  RevocationAcceptsAnUnknownToken,
  RevokesTheFamilyOnRefreshTokenReuse,
  RevokesTokensOfAReplayedCode,
  RevokingARefreshTokenEndsItsAccessTokens,
  RotatesRefreshTokens,
  SkipsConsentForTheTrustedWebIde,
  TokenInfoRefusesAnInvalidToken,
  TokenResponse,
  tokenResponseRules,
  tokenVariants,
} from '../../conditions/oauth-server.js';
import { authorize, codeOf, exchangeCode, mintTokens, oauthAppOf, refresh, revokeAfterwards, type OAuthClient } from '../../conditions/oauth.js';
import { tokenSetOf } from '../../clients/oauth-client.js';
import { fail } from '../../checks/expect.js';
import type { ScenarioDefinition } from '../../runner/types.js';

const SAAS = 'gitlab-saas';
const WEB_IDE_APP = oauthAppOf(`${SAAS}:web-ide`);

/**
 * Option 1 end to end: a signed-in browser (prepared), then the replayed part: /oauth/authorize
 * for the trusted Web IDE application, the code exchange, a refresh (the near-expiry branch)
 * and one keystroke with the new access token, which the gateway has never seen.
 */
const optionOneFlow: DiagramReplay = {
  flow: 'a signed-in user: authorize the Web IDE application, exchange the code, refresh, then one keystroke the gateway verifies with GitLab',
  async prepare(env) {
    const app = await env.need(WEB_IDE_APP);
    const agent = new UserAgent(env.http('ide', SAAS));
    await mintTokens(env, SAAS, app, { agent });
    return { app, agent };
  },
  async run(env, prepared) {
    const { app, agent } = prepared as { app: OAuthClient; agent: UserAgent };
    const authorization = await authorize(env, SAAS, app, { agent });
    const exchanged = tokenSetOf(await exchangeCode(env, SAAS, app, codeOf(authorization), authorization.verifier, 'Web IDE: POST /oauth/token (authorization_code)'));
    if (!exchanged?.refresh_token) fail('the code exchange gave no access and refresh token');
    revokeAfterwards(env, SAAS, app, exchanged);
    const refreshed = tokenSetOf(await refresh(env, SAAS, app, exchanged.refresh_token, undefined, 'Web IDE: POST /oauth/token (refresh_token)'));
    if (!refreshed) fail('the refresh gave no tokens');
    revokeAfterwards(env, SAAS, app, refreshed);
    expectOAuthTypeServed(env, await keystroke(env, oauthKeystrokeHeaders(refreshed.access_token), 'Web IDE: keystroke'));
  },
};

/** The authorization request's variants the server must refuse (by redirect with an error). */
const withoutChallenge = (p: Record<string, string | undefined>) => ({ ...p, code_challenge: undefined, code_challenge_method: undefined });
const withPlainChallenge = (p: Record<string, string | undefined>) => ({ ...p, code_challenge_method: 'plain' });
const withUnknownScope = (p: Record<string, string | undefined>) => ({ ...p, scope: `${p.scope ?? ''} no_such_scope`.trim() });

export const oauthPkceWebide: ScenarioDefinition = {
  id: 'oauth-pkce-webide',
  title: "The Web IDE as GitLab's trusted OAuth application (authorization code + PKCE); the gateway verifies its opaque token with GitLab",
  seeds: ['000'],
  diagram: 'oauth-pkce-webide.mmd',
  roles: ['gitlab-saas', 'ai-gateway', 'fake-model'],
  async run(s) {
    // Discovery (RFC 8414).
    await s.must('publishes-authorization-server-metadata', PublishesServerMetadata(SAAS), ['rfc-8414.3']);
    await s.must('metadata-names-the-issuer-it-was-fetched-from', NamesTheIssuerItWasFetchedFrom(SAAS), ['rfc-8414.3.3']);
    await s.should('advertises-s256-only', AdvertisesS256Only(SAAS), ['rfc-9700.2.1.1']);
    await s.should('advertises-iss-in-authorization-responses', AdvertisesIssInAuthorizationResponses(SAAS), ['rfc-9207.3']);

    // Steps 1-5: the authorization endpoint.
    await s.must('skips-consent-for-the-trusted-web-ide', SkipsConsentForTheTrustedWebIde(SAAS), ['seed-000.o1.register', 'seed-000.o1.step-1', 'seed-000.o1.step-2', 'seed-000.o1.step-4', 'gitlab.oauth.trusted-application']);
    await s.must('asks-consent-for-a-third-party-app', AsksConsentForAThirdPartyApp(SAAS), ['rfc-6749.4.1.1']);
    await s.must('redirects-a-denied-consent-as-access-denied', DenialRedirectsAccessDenied(SAAS), ['rfc-6749.4.1.2.1']);
    await s.must('returns-state-unchanged', ReturnsStateUnchanged(SAAS), ['rfc-6749.4.1.2', 'seed-000.o1.step-4']);
    await s.must('returns-iss-in-the-authorization-response', ReturnsTheIssuerInTheResponse(SAAS), ['rfc-9207.2', 'seed-000.o1.step-4']);
    const refusedAuthorization = (title: string, vary: Parameters<typeof RefusesAuthorizationVariant>[2], errors: string[]) => RefusesAuthorizationVariant(SAAS, title, vary, errors);
    await s.must('requires-a-code-challenge', refusedAuthorization('An authorization request without code_challenge -> redirect with error=invalid_request', withoutChallenge, ['invalid_request']), ['rfc-7636.4.4.1', 'rfc-9700.2.1.1']);
    await s.must('refuses-the-plain-challenge-method', refusedAuthorization('An authorization request with code_challenge_method=plain -> redirect with error=invalid_request', withPlainChallenge, ['invalid_request']), ['gitlab.oauth.pkce-s256-only', 'rfc-9700.2.1.1']);
    await s.must('refuses-an-unknown-scope', refusedAuthorization('An authorization request with an unknown scope -> redirect with error=invalid_scope', withUnknownScope, ['invalid_scope']), ['rfc-6749.4.1.2.1']);
    await s.must('never-redirects-to-an-unregistered-redirect-uri', NeverRedirectsToAnUnregisteredUri(SAAS), ['rfc-6749.4.1.2.1', 'rfc-9700.4.1.3']);

    // Steps 6-8: the token endpoint.
    await s.must('exchanges-the-code-for-tokens', ExchangesTheCode(SAAS), ['rfc-6749.4.1.3', 'rfc-6749.5.1', 'rfc-7636.4.6', 'seed-000.o1.step-6']);
    await s.must('issues-opaque-access-tokens', TokenResponse(SAAS, 'EnsureAccessTokenOpaque', "The Web IDE's access token is opaque, not a JWT (option 1's stateful tokens)", tokenResponseRules.opaque), ['seed-000.o1.stateful', 'gitlab.oauth.token-rules']);
    await s.should('states-gitlabs-access-token-lifetime', TokenResponse(SAAS, 'EnsureAccessTokenLifetimeIsGitlabs', 'expires_in is 7200, the lifetime of GitLab access tokens', tokenResponseRules.lifetime), ['gitlab.oauth.token-rules', 'rfc-6749.5.1']);
    await s.must('marks-token-responses-no-store', TokenResponse(SAAS, 'EnsureTokenResponseNotStored', 'The token response carries Cache-Control: no-store', tokenResponseRules.noStore), ['rfc-6749.5.1']);
    await s.should('marks-token-errors-no-store', MarksErrorsNoStore(SAAS), ['rfc-6749.5.1']);
    const refusedToken = (title: string, variant: Parameters<typeof RefusesTokenRequest>[2]) => RefusesTokenRequest(SAAS, title, variant);
    const t = tokenVariants;
    await s.must('refuses-a-wrong-code-verifier', refusedToken('A wrong code_verifier -> 400 invalid_grant', t.wrongVerifier), ['rfc-7636.4.6']);
    await s.must('refuses-a-missing-code-verifier', refusedToken('No code_verifier for a code issued with a challenge -> 400 invalid_grant (or invalid_request)', t.missingVerifier), ['rfc-7636.4.6', 'rfc-9700.2.1.1']);
    await s.must('refuses-a-too-short-code-verifier', refusedToken('A 42-character code_verifier whose S256 challenge was sent -> 400 invalid_grant or invalid_request', t.shortVerifier), ['rfc-7636.4.1']);
    await s.must('refuses-a-code-verifier-outside-its-charset', refusedToken("A code_verifier with '+' whose S256 challenge was sent -> 400 invalid_grant or invalid_request", t.verifierOutsideCharset), ['rfc-7636.4.1']);
    await s.must('refuses-a-replayed-code', refusedToken('A code exchanged a second time -> 400 invalid_grant', t.replayedCode), ['rfc-6749.4.1.2', 'rfc-6749.5.2']);
    await s.should('revokes-the-tokens-of-a-replayed-code', RevokesTokensOfAReplayedCode(SAAS), ['rfc-6749.4.1.2']);
    await s.must('binds-the-code-to-its-client', refusedToken("The Web IDE's code exchanged by another (authenticated) client -> 400 invalid_grant", t.anotherClient), ['rfc-6749.4.1.3']);
    await s.must('binds-the-code-to-its-redirect-uri', refusedToken("A redirect_uri other than the authorization request's -> 400 invalid_grant", t.anotherRedirectUri), ['rfc-6749.4.1.3']);
    await s.must('refuses-a-token-request-without-grant-type', refusedToken('No grant_type -> 400 invalid_request', t.noGrantType), ['rfc-6749.5.2']);
    await s.must('refuses-an-unknown-grant-type', refusedToken('An unknown grant_type -> 400 unsupported_grant_type', t.unknownGrantType), ['rfc-6749.5.2']);
    await s.must('refuses-a-wrong-client-secret', refusedToken('A wrong client secret by HTTP Basic -> 401 invalid_client with WWW-Authenticate: Basic', t.badClientSecret), ['rfc-6749.5.2']);
    await s.must('refuses-a-grant-the-client-may-not-use', RefusesAGrantTheClientMayNotUse(SAAS), ['rfc-6749.5.2']);

    // Steps 9-11: refresh.
    await s.must('rotates-refresh-tokens', RotatesRefreshTokens(SAAS), ['rfc-9700.4.14.2', 'rfc-6749.6', 'seed-000.o1.step-9']);
    await s.should('revokes-the-family-on-refresh-token-reuse', RevokesTheFamilyOnRefreshTokenReuse(SAAS), ['rfc-9700.4.14.2']);
    await s.must('refuses-to-widen-scope-on-refresh', RefusesToWidenScopeOnRefresh(SAAS), ['rfc-6749.6']);

    // Revocation (RFC 7009).
    await s.must('answers-200-to-revoking-an-unknown-token', RevocationAcceptsAnUnknownToken(SAAS), ['rfc-7009.2.2']);
    await s.should('revoking-a-refresh-token-ends-its-access-tokens', RevokingARefreshTokenEndsItsAccessTokens(SAAS), ['rfc-7009.2.1']);

    // Steps 13-14: GitLab's token info, the gateway's back channel.
    await s.must('describes-a-valid-token-at-token-info', DescribesAValidToken(SAAS), ['gitlab.oauth.token-info', 'seed-000.o1.step-13']);
    await s.must('refuses-an-invalid-token-at-token-info', TokenInfoRefusesAnInvalidToken(SAAS), ['gitlab.oauth.token-info']);

    // Steps 12-18: the gateway.
    await s.must('completes-code-for-the-web-ide-token', CompletesCodeForTheWebIdeToken(SAAS), ['seed-000.o1.step-12', 'seed-000.o1.step-13', 'aigw.oauth.back-channel']);
    await s.must('completes-code-after-a-refresh', CompletesCodeAfterARefresh(SAAS), ['seed-000.o1.step-9', 'seed-000.o1.step-12']);
    await s.must('refuses-a-revoked-token-within-the-cache-bound', RefusesARevokedTokenWithinTheCacheBound(SAAS), ['seed-000.o1.step-13', 'aigw.oauth.back-channel']);
    await s.must('refuses-an-ai-jwt-as-an-oauth-token', RefusesAnAiJwtAsAnOAuthToken(SAAS), ['aigw.oauth.back-channel']);
    await s.must('refuses-an-oauth-token-as-a-jwt', RefusesAnOAuthTokenAsAJwt(SAAS), ['aigw.oauth.back-channel', 'seed-000.o1.stateful']);

    // The whole flow once more, compared with the contract's sequence diagram.
    await s.must('follows-the-sequence-diagram', FollowsTheSequenceDiagram('oauth-pkce-webide.mmd', optionOneFlow), [
      'seed-000.o1.step-1',
      'seed-000.o1.step-2',
      'seed-000.o1.step-4',
      'seed-000.o1.step-6',
      'seed-000.o1.step-9',
      'seed-000.o1.step-12',
      'seed-000.o1.step-13',
    ]);
  },
};
