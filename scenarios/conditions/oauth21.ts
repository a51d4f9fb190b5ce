/**
 * Conditions on an OAuth 2.1 authorization server as seed 003's IDE client meets it: metadata it
 * can use (RFC 8414), dynamic client registration (RFC 7591) and its management (RFC 7592), and
 * the seed's whole flow driven by the reference client (scenarios/clients/oauth21: discovery,
 * registration, PKCE S256 sign-in with state and iss, refresh with rotation, revocation on
 * sign-out). The PKCE, token and revocation rules a server must keep for any client are
 * oauth-server.ts's; these are what registration and the seed's session add.
 *
 * A server without a registration endpoint makes every check here not applicable (the seed's
 * client cannot sign in there); one without RFC 7592 management (GitLab's own registration
 * answer) makes the management checks not applicable. Every client a check registers is deleted
 * afterwards where RFC 7592 allows it, and every session the reference client opens is signed
 * out (its tokens revoked).
 */
import { expectThat, fail, shownBody } from '../checks/expect.js';
import { reachable } from '../checks/urls.js';
import { recordingFetch } from '../clients/recording-fetch.js';
import { UserAgent, UserAgentError } from '../clients/user-agent.js';
import { validateMetadata } from '../clients/oauth21/metadata.js';
import { MetadataRefused } from '../clients/oauth21/errors.js';
import { type Browser, OAuthSessionManager, type SignOutResult } from '../clients/oauth21/session.js';
import { MemoryOAuthStore, type StoredRegistration, type StoredTokens } from '../clients/oauth21/store.js';
import { tokenSetOf } from '../clients/oauth-client.js';
import { condition, need, needFamily, type ConditionEnv, type NeedEnv } from '../runner/condition.js';
import { CheckFailure, TransportError } from '../runner/signals.js';
import type { HttpResponse } from '../runner/types.js';
import { expectControlAccepted } from './issuer.js';
import { authorizationServerOf, authorize, codeOf, exchangeCode, expectOAuthError, oauthUserOf, refresh, revokeAfterwards, tokenActive, type OAuthClient } from './oauth.js';
import type { GitlabRole } from './needs.js';

/**
 * The loopback redirect URI the checks register (RFC 8252 §7.3): the scripted browser stops at
 * it without requesting it, so nothing needs to listen there (port 9, discard).
 */
export const LOOPBACK_REDIRECT_URI = 'http://127.0.0.1:9/callback';

/** GitLab's read-only user scope: asked for where the server offers it, so the grant is the narrowest that works. */
const NARROW_SCOPE = 'read_user';

// --- Needs ---------------------------------------------------------------------------------

/** The registration endpoint of the metadata (RFC 8414 §2 `registration_endpoint`), made reachable; not applicable without one. */
export const registrationEndpointOf = needFamily((role: GitlabRole) =>
  need<string>(`the dynamic client registration endpoint (RFC 7591) of ${role}`, async (env) => {
    const server = await env.need(authorizationServerOf(role));
    const endpoint = server.metadata.registration_endpoint;
    if (typeof endpoint !== 'string' || endpoint === '') {
      return env.notApplicable(`${role}'s authorization server metadata names no registration_endpoint (RFC 8414 §2), so a client cannot register itself (RFC 7591)`);
    }
    return reachable(env.target(role), endpoint);
  }),
);

// --- Registration requests -----------------------------------------------------------------

/** The members of a registration answer (RFC 7591 §3.2.1, RFC 7592 §3) the checks read. */
export interface Registration {
  client_id: string;
  client_secret?: string;
  redirect_uris?: unknown;
  scope?: string;
  registration_access_token?: string;
  registration_client_uri?: string;
  [member: string]: unknown;
}

/**
 * The registration seed 003's IDE client sends: a public native client (RFC 8252 §8.4; OpenID
 * Connect Registration `application_type`) with a loopback redirect URI, the code and refresh
 * grants, no client authentication; `changes` vary it (undefined removes a member).
 */
export function seedClientMetadata(server: { metadata: Record<string, unknown> }, changes: Record<string, unknown> = {}): Record<string, unknown> {
  const offered = server.metadata.scopes_supported;
  const metadata: Record<string, unknown> = {
    client_name: 'ai-auth-harness oauth21-dcr',
    redirect_uris: [LOOPBACK_REDIRECT_URI],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    application_type: 'native',
    ...(Array.isArray(offered) && offered.includes(NARROW_SCOPE) ? { scope: NARROW_SCOPE } : {}),
    ...changes,
  };
  for (const [k, v] of Object.entries(metadata)) if (v === undefined) delete metadata[k];
  return metadata;
}

/** POST the registration endpoint with `metadata` as JSON (RFC 7591 §3.1). */
export async function register(env: NeedEnv, role: GitlabRole, metadata: Record<string, unknown>, label: string): Promise<HttpResponse> {
  const endpoint = await env.need(registrationEndpointOf(role));
  return env.http('ide', role).request({ method: 'POST', path: endpoint, json: metadata, headers: { Accept: 'application/json' }, label });
}

/** The registration of a 201 answer with a client_id (RFC 7591 §3.2.1), else undefined. */
export function registrationOf(res: HttpResponse): Registration | undefined {
  const body = res.json as Partial<Registration> | undefined;
  return res.status === 201 && body && typeof body.client_id === 'string' ? (body as Registration) : undefined;
}

/** Whether the registration can be managed (RFC 7592 §3: both a client configuration URI and a registration access token). */
function managed(reg: Registration | StoredRegistration): reg is (Registration | StoredRegistration) & { registration_client_uri: string; registration_access_token: string } {
  return typeof reg.registration_client_uri === 'string' && typeof reg.registration_access_token === 'string';
}

/** RFC 7592 §2.1 / §2.3: GET or DELETE the client configuration endpoint, with the registration access token unless `token` is null. */
function manage(env: NeedEnv, role: GitlabRole, reg: { registration_client_uri: string; registration_access_token: string }, method: 'GET' | 'DELETE', token: string | null, label: string): Promise<HttpResponse> {
  return env.http('ide', role).request({
    method,
    path: reachable(env.target(role), reg.registration_client_uri),
    headers: { Accept: 'application/json', ...(token !== null ? { Authorization: `Bearer ${token}` } : {}) },
    label,
  });
}

/**
 * Registers deleting `reg` after the check (RFC 7592 §2.3), where the server allows it: 204, or
 * 401/404 when the check already deleted it. Without RFC 7592 the server offers no way to delete
 * a client, and it stays (GitLab lists such applications for its administrators).
 */
export function deleteAfterwards(env: ConditionEnv, role: GitlabRole, reg: Registration | StoredRegistration): void {
  if (!managed(reg)) return;
  env.restore(`the client ${reg.client_id} this check registered at ${role} (deleted, RFC 7592)`, async () => {
    const res = await manage(env, role, reg, 'DELETE', reg.registration_access_token, 'DELETE registration (clean-up)');
    if (![204, 401, 404].includes(res.status)) throw new Error(`${res.request} answered ${res.status}`);
  });
}

/** A valid registration, the check's control request: not applicable when the server refuses it (a refusal of a variant would prove nothing). */
async function registerControl(env: ConditionEnv, role: GitlabRole): Promise<Registration> {
  const server = await env.need(authorizationServerOf(role));
  const res = await register(env, role, seedClientMetadata(server), 'POST registration (a valid one: control request)');
  expectControlAccepted(env, res, 'registration (a public client with a loopback redirect URI)');
  const reg = registrationOf(res) ?? env.notApplicable(`the valid registration answered ${res.status} without a client_id`);
  deleteAfterwards(env, role, reg);
  return reg;
}

/** A registration error of RFC 7591 §3.2.2: 400, a JSON body with `error` one of `errors`, no client_id. */
function expectRegistrationError(res: HttpResponse, errors: readonly string[], what: string): void {
  const body = res.json as { error?: unknown; client_id?: unknown } | undefined;
  const json = /^application\/json\b/i.test(res.headers['content-type'] ?? '');
  const ok = res.status === 400 && json && typeof body?.error === 'string' && errors.includes(body.error) && body.client_id === undefined;
  expectThat(ok, `${what}: expected 400 application/json with error ${errors.join(' or ')} from ${res.request}, got ${res.status}${typeof body?.error === 'string' ? ` ${body.error}` : ''}${body?.client_id !== undefined ? ' with a client_id' : ''}`, {
    expected: { status: 400, 'content-type': 'application/json', error: errors.length === 1 ? errors[0] : errors },
    actual: { status: res.status, 'content-type': res.headers['content-type'] ?? null, body: shownBody(res) },
    res,
  });
}

// --- Metadata ------------------------------------------------------------------------------

export const MeetsTheSeedClientsNeeds = (role: GitlabRole) =>
  condition({
    name: 'EnsureMetadataMeetsOAuth21ClientNeeds',
    title: "The metadata offers what seed 003's client requires of OAuth 2.1 (its validateMetadata accepts it): the code response type, the authorization_code and refresh_token grants, S256, a client authentication method it can use",
    needs: { server: authorizationServerOf(role) },
    async evaluate({ server: { metadata, res } }) {
      try {
        validateMetadata(metadata as Parameters<typeof validateMetadata>[0]);
      } catch (e) {
        if (!(e instanceof MetadataRefused)) throw e;
        fail(`seed 003's client refuses the metadata: ${e.missing.join('; ')}`, {
          expected: { response_types_supported: ['code'], grant_types_supported: ['authorization_code', 'refresh_token'], code_challenge_methods_supported: ['S256'], token_endpoint_auth_methods_supported: 'one of none, client_secret_basic, client_secret_post' },
          actual: { missing: e.missing },
          res,
        });
      }
    },
  });

// --- Registration (RFC 7591) ---------------------------------------------------------------

export const RegistersAPublicClient = (role: GitlabRole) =>
  condition({
    name: 'EnsureDynamicRegistrationCreatesClient',
    title: 'POST registration_endpoint with the seed client\'s metadata (public, loopback redirect URI) -> 201 with a client_id and the registered redirect_uris',
    needs: { server: authorizationServerOf(role), endpoint: registrationEndpointOf(role) },
    async evaluate({ server }, env) {
      const res = await register(env, role, seedClientMetadata(server), 'POST registration');
      const reg = registrationOf(res);
      if (reg) deleteAfterwards(env, role, reg);
      const echoed = reg && Array.isArray(reg.redirect_uris) && reg.redirect_uris.length === 1 && reg.redirect_uris[0] === LOOPBACK_REDIRECT_URI;
      expectThat(echoed === true, `${res.request} answered ${res.status}${reg ? ` with redirect_uris ${JSON.stringify(reg.redirect_uris ?? null)}` : ' without a client_id'}`, {
        expected: { status: 201, client_id: 'a string', redirect_uris: [LOOPBACK_REDIRECT_URI] },
        actual: { status: res.status, body: shownBody(res) },
        res,
      });
    },
  });

/**
 * A valid registration is accepted (the control), then the variant is refused: 400 with one of
 * `errors` (RFC 7591 §3.2.2). A variant the server accepts is deleted again.
 */
export const RefusesARegistration = (role: GitlabRole, title: string, vary: Record<string, unknown>, errors: readonly string[]) =>
  condition({
    name: 'EnsureRegistrationRefused',
    title,
    needs: { server: authorizationServerOf(role), endpoint: registrationEndpointOf(role) },
    async evaluate({ server }, env) {
      await registerControl(env, role);
      const res = await register(env, role, seedClientMetadata(server, vary), 'POST registration (the variant)');
      const accepted = registrationOf(res);
      if (accepted) deleteAfterwards(env, role, accepted);
      expectRegistrationError(res, errors, 'the varied registration');
    },
  });

/**
 * RFC 7591 §3.2.2 names the error for a bad redirect URI: `invalid_redirect_uri`. Not applicable
 * when the server registered the URI (the refusal checks say whether it must refuse it).
 */
export const NamesInvalidRedirectUri = (role: GitlabRole, vary: Record<string, unknown>) =>
  condition({
    name: 'EnsureRedirectUriRefusalNamesInvalidRedirectUri',
    title: 'A registration refused for its redirect URI (one with a fragment) names the error invalid_redirect_uri, not a generic one',
    needs: { server: authorizationServerOf(role), endpoint: registrationEndpointOf(role) },
    async evaluate({ server }, env) {
      await registerControl(env, role);
      const res = await register(env, role, seedClientMetadata(server, vary), 'POST registration (a redirect URI with a fragment)');
      const accepted = registrationOf(res);
      if (accepted) {
        deleteAfterwards(env, role, accepted);
        env.notApplicable('the server registered the redirect URI, so it named no error (refuses-a-redirect-uri-with-a-fragment says whether it must refuse it)');
      }
      expectRegistrationError(res, ['invalid_redirect_uri'], 'a refused redirect URI');
    },
  });

/** A client_uri that is no URL (RFC 7591 §2: "URL string of a web page"). */
export const NOT_A_URL = 'not a url';

export const RefusesOrDropsInvalidMetadata = (role: GitlabRole) =>
  condition({
    name: 'EnsureInvalidClientMetadataNotRegistered',
    title: `A registration whose client_uri is no URL (${JSON.stringify(NOT_A_URL)}) -> 400 invalid_client_metadata, or 201 without that client_uri (RFC 7591 §3.2.1 lets the server replace or drop a value)`,
    needs: { server: authorizationServerOf(role), endpoint: registrationEndpointOf(role) },
    async evaluate({ server }, env) {
      await registerControl(env, role);
      const res = await register(env, role, seedClientMetadata(server, { client_uri: NOT_A_URL }), 'POST registration (client_uri is no URL)');
      const accepted = registrationOf(res);
      if (!accepted) return expectRegistrationError(res, ['invalid_client_metadata'], 'invalid client metadata');
      deleteAfterwards(env, role, accepted);
      expectThat(accepted.client_uri !== NOT_A_URL, `the server registered client_uri ${JSON.stringify(NOT_A_URL)}`, {
        expected: { status: 400, error: 'invalid_client_metadata', or: 'a registration without that client_uri' },
        actual: { status: res.status, client_uri: accepted.client_uri },
        res,
      });
    },
  });

// --- Management (RFC 7592) -----------------------------------------------------------------

/** A registration the server lets the client manage; not applicable without RFC 7592. */
async function managedRegistration(env: ConditionEnv, role: GitlabRole) {
  const reg = await registerControl(env, role);
  if (!managed(reg)) env.notApplicable(`${role}'s registration answer has no registration_client_uri and registration_access_token: no RFC 7592 management`);
  return reg;
}

export const ReadsTheRegistration = (role: GitlabRole) =>
  condition({
    name: 'EnsureRegistrationReadableWithItsToken',
    title: 'GET registration_client_uri with the registration access token -> 200 with the client_id and redirect_uris; without it -> 401',
    needs: { endpoint: registrationEndpointOf(role) },
    async evaluate(_needs, env) {
      const reg = await managedRegistration(env, role);
      const read = await manage(env, role, reg, 'GET', reg.registration_access_token, 'GET registration (with its access token)');
      const body = read.json as Partial<Registration> | undefined;
      const same = read.status === 200 && body?.client_id === reg.client_id && JSON.stringify(body?.redirect_uris) === JSON.stringify(reg.redirect_uris);
      expectThat(same, `${read.request} answered ${read.status} without the registered client`, { expected: { status: 200, client_id: reg.client_id, redirect_uris: reg.redirect_uris }, actual: { status: read.status, body: shownBody(read) }, res: read });
      const anonymous = await manage(env, role, reg, 'GET', null, 'GET registration (no access token)');
      expectThat(anonymous.status === 401, `${anonymous.request} without a registration access token answered ${anonymous.status}`, { expected: { status: 401 }, actual: { status: anonymous.status, body: shownBody(anonymous) }, res: anonymous });
    },
  });

export const DeletesTheRegistration = (role: GitlabRole) =>
  condition({
    name: 'EnsureDeletedClientRefused',
    title: 'DELETE registration_client_uri -> 204; afterwards the client\'s refresh token is refused with invalid_client and its registration reads 401',
    needs: { endpoint: registrationEndpointOf(role) },
    async evaluate(_needs, env) {
      const reg = await managedRegistration(env, role);
      const client: OAuthClient = { clientId: reg.client_id, redirectUri: LOOPBACK_REDIRECT_URI, scopes: typeof reg.scope === 'string' ? reg.scope.split(' ').filter(Boolean) : [] };
      // The control: the new client signs in and holds a refresh token (no revocation afterwards: the deletion ends the client).
      let refreshToken: string | undefined;
      try {
        const authorization = await authorize(env, role, client);
        const exchanged = tokenSetOf(await exchangeCode(env, role, client, codeOf(authorization), authorization.verifier, 'POST /oauth/token (authorization_code: control request)'));
        refreshToken = exchanged?.refresh_token;
      } catch (e) {
        if (e instanceof UserAgentError || e instanceof CheckFailure) env.notApplicable(`the registered client could not sign in, so what its deletion ends cannot be seen: ${e.message}`);
        throw e;
      }
      const spent = refreshToken ?? env.notApplicable('the registered client got no refresh token, so what its deletion ends cannot be seen');
      const deleted = await manage(env, role, reg, 'DELETE', reg.registration_access_token, 'DELETE registration');
      expectThat(deleted.status === 204, `${deleted.request} answered ${deleted.status}`, { expected: { status: 204 }, actual: { status: deleted.status, body: shownBody(deleted) }, res: deleted });
      const res = await refresh(env, role, client, spent, undefined, 'POST /oauth/token (refresh_token of the deleted client)');
      const leaked = tokenSetOf(res);
      if (leaked) fail(`${res.request} refreshed for a deleted client`, { expected: { status: [400, 401], error: 'invalid_client' }, actual: { status: res.status }, res });
      expectOAuthError(res, ['invalid_client'], [400, 401], 'a refresh by a deleted client');
      const read = await manage(env, role, reg, 'GET', reg.registration_access_token, 'GET registration (deleted)');
      expectThat(read.status === 401, `${read.request} answered ${read.status} for a deleted client`, { expected: { status: 401 }, actual: { status: read.status, body: shownBody(read) }, res: read });
    },
  });

// --- Seed 003's flow with the reference client ---------------------------------------------

/** The reference client signed in at a role: its session manager, store and tokens. */
export interface ReferenceSession {
  session: OAuthSessionManager;
  store: MemoryOAuthStore;
  tokens: StoredTokens;
  registration: StoredRegistration;
  issuer: string;
}

/**
 * Failures of the reference client (typed OAuth errors, refusals of the server's answers, a
 * browser that did not reach the callback) fail the check with what the client said; the
 * runner's own signals (a check failure, no response) pass through.
 */
function asFailure(e: unknown, what: string): never {
  if (e instanceof CheckFailure || e instanceof TransportError) throw e;
  const steps = e instanceof UserAgentError ? { steps: e.steps } : {};
  fail(`${what}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, { expected: `${what} to succeed`, actual: { error: e instanceof Error ? e.name : typeof e, ...steps } });
}

/** A browser for the reference client: the scripted user agent as the profile's user, approving consent; URLs under the issuer are sent to the target. */
function scriptedBrowser(env: NeedEnv, role: GitlabRole, user: { username: string; password: string }, agent: UserAgent): Browser {
  return async (url, redirectUri) => (await agent.authorize(reachable(env.target(role), url.href), redirectUri, user)).callback;
}

/**
 * Seed 003's sign-in by the reference client, through the recording client: discovery,
 * registration, PKCE S256 authorization in the scripted browser (state and iss checked by the
 * client), code exchange. Afterwards the session is signed out and the registration deleted.
 * Not applicable without a registration endpoint; a failed sign-in fails the check.
 */
export async function signInWithReferenceClient(env: ConditionEnv, role: GitlabRole, agent?: UserAgent): Promise<ReferenceSession> {
  await env.need(registrationEndpointOf(role));
  const user = await env.need(oauthUserOf(role));
  const server = await env.need(authorizationServerOf(role));
  const target = env.target(role);
  const http = env.http('ide', role);
  const offered = server.metadata.scopes_supported;
  const store = new MemoryOAuthStore();
  const session = new OAuthSessionManager({
    issuer: target.issuer,
    store,
    redirectUri: LOOPBACK_REDIRECT_URI,
    clientName: 'ai-auth-harness seed 003 reference client',
    ...(Array.isArray(offered) && offered.includes(NARROW_SCOPE) ? { scope: NARROW_SCOPE } : {}),
    fetch: recordingFetch(http, {
      rebase: (url) => reachable(target, url),
      label: (method, url, body) => `seed-003 client: ${method} ${url.pathname}${body && url.pathname === new URL(server.tokenEndpoint).pathname ? ` (${new URLSearchParams(body).get('grant_type')})` : ''}`,
    }),
  });
  let registration: StoredRegistration | undefined;
  env.restore(`the reference client's session at ${role} (signed out, registration deleted)`, async () => {
    registration ??= (await store.read(target.issuer)).registration;
    await session.signOut();
    if (registration && managed(registration)) {
      const res = await manage(env, role, registration, 'DELETE', registration.registration_access_token, 'DELETE registration (clean-up)');
      if (![204, 401, 404].includes(res.status)) throw new Error(`${res.request} answered ${res.status}`);
    }
  });
  let tokens: StoredTokens;
  try {
    tokens = await session.signIn(scriptedBrowser(env, role, user, agent ?? new UserAgent(http)));
  } catch (e) {
    asFailure(e, "seed 003's sign-in (registration, PKCE S256 authorization, code exchange)");
  }
  registration = (await store.read(target.issuer)).registration;
  if (!registration) fail('the reference client signed in without a stored registration');
  return { session, store, tokens, registration, issuer: target.issuer };
}

/** Moves the stored access token's expiry into the past, so the next accessToken() refreshes (seed 003's proactive refresh). */
async function expireAccessToken(s: ReferenceSession): Promise<void> {
  await s.store.update(s.issuer, (r) => ({ ...r, ...(r.tokens ? { tokens: { ...r.tokens, expires_at: Math.floor(Date.now() / 1000) - 1 } } : {}) }));
}

/** The reference client's proactive refresh; the check fails when it does not succeed. */
export async function refreshWithReferenceClient(s: ReferenceSession): Promise<StoredTokens> {
  await expireAccessToken(s);
  try {
    await s.session.accessToken();
  } catch (e) {
    asFailure(e, "seed 003's refresh (refresh_token grant)");
  }
  const tokens = (await s.store.read(s.issuer)).tokens;
  if (!tokens) fail('the refresh left no tokens stored');
  return tokens;
}

/** The reference client's registration as the low-level client's application (for requests the client library would not send). */
function clientOf(s: ReferenceSession): OAuthClient {
  return { clientId: s.registration.client_id, ...(s.registration.client_secret ? { clientSecret: s.registration.client_secret } : {}), redirectUri: LOOPBACK_REDIRECT_URI, scopes: [] };
}

export const SignsInTheSeedClient = (role: GitlabRole) =>
  condition({
    name: 'EnsureSeedClientSignsIn',
    title: "Seed 003's reference client discovers the server, registers, signs the user in with PKCE S256 (state and iss checked) and exchanges the code for an access and a refresh token",
    needs: { endpoint: registrationEndpointOf(role) },
    async evaluate(_needs, env) {
      const { tokens } = await signInWithReferenceClient(env, role);
      expectThat(typeof tokens.refresh_token === 'string', 'the sign-in gave no refresh token; seed 003\'s client refreshes its session', { expected: { access_token: 'a token', refresh_token: 'a token' }, actual: { refresh_token: null } });
    },
  });

/** The reference client signed in with a refresh token (the control); not applicable without one. */
async function refreshableSession(env: ConditionEnv, role: GitlabRole): Promise<ReferenceSession & { refreshToken: string }> {
  const s = await signInWithReferenceClient(env, role);
  return { ...s, refreshToken: s.tokens.refresh_token ?? env.notApplicable('the sign-in gave no refresh token (signs-in-the-seed-client says whether it must)') };
}

export const RotatesTheSeedClientsRefreshToken = (role: GitlabRole) =>
  condition({
    name: 'EnsureSeedClientRefreshRotates',
    title: "The reference client's refresh (a public client) returns a new access token and a new refresh token",
    needs: { endpoint: registrationEndpointOf(role) },
    async evaluate(_needs, env) {
      const s = await refreshableSession(env, role);
      const next = await refreshWithReferenceClient(s);
      const rotated = { newAccessToken: next.access_token !== s.tokens.access_token, newRefreshToken: next.refresh_token !== undefined && next.refresh_token !== s.refreshToken };
      expectThat(rotated.newAccessToken && rotated.newRefreshToken, 'the refresh did not rotate the refresh token', { expected: { newAccessToken: true, newRefreshToken: true }, actual: rotated });
    },
  });

export const RefusesTheRotatedOutRefreshToken = (role: GitlabRole) =>
  condition({
    name: 'EnsureRotatedOutRefreshTokenRefused',
    title: 'After the reference client refreshed, its previous refresh token used again -> 400 invalid_grant',
    needs: { endpoint: registrationEndpointOf(role) },
    async evaluate(_needs, env) {
      const s = await refreshableSession(env, role);
      const next = await refreshWithReferenceClient(s);
      if (next.refresh_token === undefined || next.refresh_token === s.refreshToken) env.notApplicable('the server did not rotate the refresh token (rotates-the-refresh-token says whether it must)');
      const client = clientOf(s);
      const res = await refresh(env, role, client, s.refreshToken, undefined, 'POST /oauth/token (the rotated-out refresh token again)');
      const leaked = tokenSetOf(res);
      if (leaked) revokeAfterwards(env, role, client, leaked);
      expectOAuthError(res, ['invalid_grant'], [400], 'reuse of a rotated-out refresh token');
    },
  });

/** Signs the reference client out; the check fails unless both revocations were answered 200. Not applicable without a revocation endpoint. */
async function signOut(env: ConditionEnv, role: GitlabRole, s: ReferenceSession): Promise<SignOutResult> {
  const server = await env.need(authorizationServerOf(role));
  if (!server.revocationEndpoint) env.notApplicable(`${role}'s authorization server metadata names no revocation_endpoint (RFC 7009), so seed 003's client cannot revoke on sign-out`);
  const result = await s.session.signOut();
  const revoked = result.refreshTokenRevoked && result.accessTokenRevoked;
  if (!revoked) {
    fail('the server did not accept the revocation of both tokens on sign-out', {
      expected: { refreshTokenRevoked: true, accessTokenRevoked: true },
      actual: { refreshTokenRevoked: result.refreshTokenRevoked, accessTokenRevoked: result.accessTokenRevoked, errors: result.errors.map((e) => (e instanceof Error ? e.message : String(e))) },
    });
  }
  return result;
}

export const EndsTheRefreshTokenOnSignOut = (role: GitlabRole) =>
  condition({
    name: 'EnsureSignOutEndsRefreshToken',
    title: "The reference client's sign-out revokes both tokens (200 each); the revoked refresh token is then refused with invalid_grant",
    needs: { endpoint: registrationEndpointOf(role) },
    async evaluate(_needs, env) {
      const s = await refreshableSession(env, role);
      await signOut(env, role, s);
      const client = clientOf(s);
      const res = await refresh(env, role, client, s.refreshToken, undefined, 'POST /oauth/token (the refresh token revoked on sign-out)');
      const leaked = tokenSetOf(res);
      if (leaked) revokeAfterwards(env, role, client, leaked);
      expectOAuthError(res, ['invalid_grant'], [400], 'a refresh with the revoked refresh token');
    },
  });

export const EndsTheAccessTokenOnSignOut = (role: GitlabRole) =>
  condition({
    name: 'EnsureSignOutEndsAccessToken',
    title: "After the reference client's sign-out, its access token is no longer active (GitLab's token info)",
    needs: { endpoint: registrationEndpointOf(role) },
    async evaluate(_needs, env) {
      const s = await signInWithReferenceClient(env, role);
      const before = await tokenActive(env, role, s.tokens.access_token, 'GET /oauth/token/info (before sign-out: control)');
      if (!before.active) env.notApplicable(`the freshly issued access token is not active at ${before.res.request} (${before.res.status}), so its revocation cannot be seen`);
      await signOut(env, role, s);
      const after = await tokenActive(env, role, s.tokens.access_token, 'GET /oauth/token/info (after sign-out)');
      expectThat(!after.active, 'the access token is still active after sign-out revoked it', { expected: { active: false }, actual: { status: after.res.status }, res: after.res });
    },
  });
