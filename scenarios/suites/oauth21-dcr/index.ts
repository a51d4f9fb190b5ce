/**
 * Seed 003 with the authorization server as the system under test: what an IDE extension's OAuth
 * 2.1 session needs of it. Discovery (RFC 8414), dynamic client registration (RFC 7591) and its
 * management (RFC 7592), then the seed's flow driven by the reference client
 * (scenarios/clients/oauth21): PKCE sign-in through the browser, refresh with rotation, reuse of
 * a spent refresh token, revocation on sign-out (RFC 7009). The PKCE, code and token rules every
 * client relies on are oauth-pkce-webide's checks (oauth-server.ts); this scenario adds what
 * registration and the seed's session depend on. What the server does not offer ends not
 * applicable, naming it: no registration_endpoint (every registration and flow check), no RFC
 * 7592 management (GitLab's own registration answer, OAUTH_REGISTRATION_MODE=gitlab).
 */
import { FollowsTheSequenceDiagram, type DiagramReplay } from '../../conditions/diagram.js';
import { AdvertisesIssInAuthorizationResponses, AdvertisesS256Only, NamesTheIssuerItWasFetchedFrom, PublishesServerMetadata } from '../../conditions/oauth-server.js';
import {
  DeletesTheRegistration,
  EndsTheAccessTokenOnSignOut,
  EndsTheRefreshTokenOnSignOut,
  MeetsTheSeedClientsNeeds,
  NamesInvalidRedirectUri,
  ReadsTheRegistration,
  RefusesARegistration,
  RefusesOrDropsInvalidMetadata,
  RefusesTheRotatedOutRefreshToken,
  RegistersAPublicClient,
  RotatesTheSeedClientsRefreshToken,
  SignsInTheSeedClient,
  refreshWithReferenceClient,
  signInWithReferenceClient,
} from '../../conditions/oauth21.js';
import { fail } from '../../checks/expect.js';
import type { ScenarioDefinition } from '../../runner/types.js';

const SAAS = 'gitlab-saas';

/** A loopback redirect URI with a fragment (RFC 6749 §3.1.2: a redirection endpoint has none). */
const WITH_FRAGMENT = { redirect_uris: ['http://127.0.0.1:9/callback#fragment'] };
/** A cleartext redirect URI off the loopback interface (RFC 8252 §8.3 allows http on loopback only). */
const NON_LOOPBACK_HTTP = { redirect_uris: ['http://ide.example.com/callback'] };

/** Seed 003 end to end, as its client does it: sign in (discovery, registration, PKCE), one proactive refresh, sign-out. */
const seedFlow: DiagramReplay = {
  flow: "seed 003's reference client: discover, register, sign in with PKCE, exchange the code, refresh once, sign out (revoking both tokens)",
  async run(env) {
    const s = await signInWithReferenceClient(env, SAAS);
    await refreshWithReferenceClient(s);
    const out = await s.session.signOut();
    if (!out.refreshTokenRevoked || !out.accessTokenRevoked) fail('sign-out did not revoke both tokens', { expected: { refreshTokenRevoked: true, accessTokenRevoked: true }, actual: { refreshTokenRevoked: out.refreshTokenRevoked, accessTokenRevoked: out.accessTokenRevoked } });
  },
};

export const oauth21Dcr: ScenarioDefinition = {
  id: 'oauth21-dcr',
  title: "Seed 003's OAuth 2.1 session (discovery, dynamic registration, PKCE, refresh, revocation) against the authorization server",
  seeds: ['003'],
  diagram: 'oauth21-dcr.mmd',
  roles: ['gitlab-saas'],
  async run(s) {
    // Discovery (RFC 8414), as the seed's OAuthMetadataClient reads it.
    await s.must('publishes-authorization-server-metadata', PublishesServerMetadata(SAAS), ['rfc-8414.3', 'seed-003.discovery']);
    await s.must('metadata-names-the-issuer-it-was-fetched-from', NamesTheIssuerItWasFetchedFrom(SAAS), ['rfc-8414.3.3', 'seed-003.discovery']);
    await s.must('meets-the-oauth21-needs-of-the-seed-client', MeetsTheSeedClientsNeeds(SAAS), ['rfc-8414.2', 'rfc-9700.2.1.1', 'seed-003.discovery']);
    await s.should('advertises-s256-only', AdvertisesS256Only(SAAS), ['rfc-9700.2.1.1']);
    await s.should('advertises-iss-in-authorization-responses', AdvertisesIssInAuthorizationResponses(SAAS), ['rfc-9207.3']);

    // Registration (RFC 7591).
    await s.must('registers-a-public-client', RegistersAPublicClient(SAAS), ['rfc-7591.3.2.1', 'seed-003.registration']);
    await s.must(
      'refuses-a-redirect-uri-with-a-fragment',
      RefusesARegistration(SAAS, 'A registration whose redirect URI has a fragment -> 400 invalid_redirect_uri (or invalid_client_metadata)', WITH_FRAGMENT, ['invalid_redirect_uri', 'invalid_client_metadata']),
      ['rfc-6749.3.1.2', 'rfc-7591.3.2.2'],
    );
    await s.should('names-invalid-redirect-uri-for-a-bad-redirect-uri', NamesInvalidRedirectUri(SAAS, WITH_FRAGMENT), ['rfc-7591.3.2.2']);
    await s.should(
      'refuses-a-non-loopback-http-redirect-uri',
      RefusesARegistration(SAAS, 'A native public client registering an http redirect URI off the loopback interface -> 400 invalid_redirect_uri (or invalid_client_metadata)', NON_LOOPBACK_HTTP, ['invalid_redirect_uri', 'invalid_client_metadata']),
      ['rfc-6749.3.1.2.1', 'rfc-7591.3.2.2'],
    );
    await s.must('refuses-or-drops-invalid-client-metadata', RefusesOrDropsInvalidMetadata(SAAS), ['rfc-7591.3.2.1', 'rfc-7591.3.2.2']);

    // Management (RFC 7592): optional, so SHOULD; not applicable where the server offers none.
    await s.should('reads-the-registration-with-its-access-token', ReadsTheRegistration(SAAS), ['rfc-7592.2.1']);
    await s.should('refuses-a-deleted-client', DeletesTheRegistration(SAAS), ['rfc-7592.2.3', 'seed-003.errors']);

    // The seed's flow with the reference client.
    await s.must('signs-in-the-seed-client', SignsInTheSeedClient(SAAS), ['seed-003.registration', 'seed-003.sign-in', 'rfc-7636.4.6', 'rfc-9207.2', 'rfc-6749.4.1.2']);
    await s.must('rotates-the-refresh-token', RotatesTheSeedClientsRefreshToken(SAAS), ['rfc-9700.4.14.2', 'rfc-6749.6', 'seed-003.refresh']);
    await s.must('refuses-the-rotated-out-refresh-token', RefusesTheRotatedOutRefreshToken(SAAS), ['rfc-9700.4.14.2', 'rfc-6749.5.2', 'seed-003.errors']);
    await s.must('ends-the-refresh-token-on-sign-out', EndsTheRefreshTokenOnSignOut(SAAS), ['rfc-7009.2.1', 'rfc-7009.2.2', 'seed-003.revocation']);
    await s.must('ends-the-access-token-on-sign-out', EndsTheAccessTokenOnSignOut(SAAS), ['rfc-7009.2.1', 'seed-003.revocation']);

    // The whole flow once more, compared with the contract's sequence diagram.
    await s.must('follows-the-sequence-diagram', FollowsTheSequenceDiagram('oauth21-dcr.mmd', seedFlow), ['seed-003.discovery', 'seed-003.registration', 'seed-003.sign-in', 'seed-003.refresh', 'seed-003.revocation']);
  },
};
