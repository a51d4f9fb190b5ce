/**
 * Conditions on an OAuth 2.0 authorization server (GitLab's, seed 000 option 1): metadata
 * (RFC 8414), the authorization endpoint (RFC 6749 §4.1, RFC 7636, RFC 9207), the token
 * endpoint (§4.1.3, §5, §6), revocation (RFC 7009) and GitLab's /oauth/token/info.
 *
 * Every refusal is paired, in the same check, with the accepted request it varies (a complete
 * authorization and code exchange by the same application): when the server does not complete
 * that, the check is not applicable, so a server that refuses everything passes nothing. Each
 * check revokes the tokens it minted.
 */
import { DOORKEEPER_INVALID_REQUEST, OAUTH_SCOPES, OAUTH_TOKEN, TOKEN_INFO_INVALID, type OAuthTokenInfo } from '#contracts';
import { expectHeader, expectThat, fail, shownBody } from '../checks/expect.js';
import { clientAuthOf, codeVerifier, tokenSetOf, type AuthorizationParams, type TokenSet } from '../clients/oauth-client.js';
import { UserAgent, UserAgentError } from '../clients/user-agent.js';
import { condition, type ConditionEnv } from '../runner/condition.js';
import type { HttpResponse } from '../runner/types.js';
import { expectControlAccepted } from './issuer.js';
import {
  authorizationServerOf,
  authorize,
  codeOf,
  exchangeCode,
  expectOAuthError,
  mintTokens,
  oauthAppOf,
  refresh,
  revoke,
  revokeAfterwards,
  tokenActive,
  tokenInfo,
  tokenRequest,
  type AppPurpose,
  type Authorization,
  type Minted,
  type OAuthClient,
} from './oauth.js';
import type { GitlabRole } from './needs.js';

const WEB_IDE = (role: GitlabRole) => oauthAppOf(`${role}:web-ide`);
const THIRD_PARTY = (role: GitlabRole) => oauthAppOf(`${role}:third-party`);
const noStore = (v: string | undefined) => (v ?? '').split(',').some((d) => d.trim().toLowerCase() === 'no-store');
const isJwt = (t: string) => /^[\w-]+\.[\w-]+\.[\w-]*$/.test(t) && t.startsWith('eyJ');

// --- Metadata (RFC 8414) ----------------------------------------------------------------

export const PublishesServerMetadata = (role: GitlabRole) =>
  condition({
    name: 'EnsureAuthorizationServerMetadata',
    title: 'GET /.well-known/oauth-authorization-server is JSON with issuer, authorization_endpoint, token_endpoint and response_types_supported containing code',
    needs: { server: authorizationServerOf(role) },
    async evaluate({ server: { metadata, res } }) {
      const missing = ['issuer', 'authorization_endpoint', 'token_endpoint'].filter((k) => typeof metadata[k] !== 'string');
      const types = metadata.response_types_supported;
      if (!Array.isArray(types) || !types.includes('code')) missing.push('response_types_supported with code');
      expectThat(missing.length === 0, `the metadata lacks ${missing.join(', ')}`, { expected: { issuer: 'a URL', authorization_endpoint: 'a URL', token_endpoint: 'a URL', response_types_supported: ['code'] }, actual: metadata, res });
    },
  });

export const NamesTheIssuerItWasFetchedFrom = (role: GitlabRole) =>
  condition({
    name: 'EnsureMetadataIssuerIsTheFetchedOne',
    title: "The metadata's issuer is the issuer identifier /.well-known/oauth-authorization-server was fetched under (the instance URL)",
    needs: { server: authorizationServerOf(role) },
    async evaluate({ server: { metadata, res } }, env) {
      const expected = env.target(role).issuer;
      expectThat(metadata.issuer === expected, `the metadata names issuer ${JSON.stringify(metadata.issuer)}, fetched under ${expected}`, { expected: { issuer: expected }, actual: { issuer: metadata.issuer ?? null }, res });
    },
  });

export const AdvertisesS256Only = (role: GitlabRole) =>
  condition({
    name: 'EnsureMetadataAdvertisesS256Only',
    title: 'code_challenge_methods_supported contains S256 and not plain',
    needs: { server: authorizationServerOf(role) },
    async evaluate({ server: { metadata, res } }) {
      const methods = metadata.code_challenge_methods_supported;
      const ok = Array.isArray(methods) && methods.includes('S256') && !methods.includes('plain');
      expectThat(ok, `code_challenge_methods_supported is ${JSON.stringify(methods ?? null)}`, { expected: { code_challenge_methods_supported: ['S256'] }, actual: { code_challenge_methods_supported: methods ?? null }, res });
    },
  });

export const AdvertisesIssInAuthorizationResponses = (role: GitlabRole) =>
  condition({
    name: 'EnsureMetadataAdvertisesIssParameter',
    title: 'authorization_response_iss_parameter_supported is true',
    needs: { server: authorizationServerOf(role) },
    async evaluate({ server: { metadata, res } }) {
      const value = metadata.authorization_response_iss_parameter_supported;
      expectThat(value === true, `authorization_response_iss_parameter_supported is ${JSON.stringify(value ?? null)}`, { expected: { authorization_response_iss_parameter_supported: true }, actual: { authorization_response_iss_parameter_supported: value ?? null }, res });
    },
  });

// --- The authorization endpoint --------------------------------------------------------

/** One authorization of the application, failing with the browser's steps when no redirect came. */
async function authorizeOrFail(env: ConditionEnv, role: GitlabRole, app: OAuthClient, options: Parameters<typeof authorize>[3] = {}): Promise<Authorization> {
  try {
    return await authorize(env, role, app, options);
  } catch (e) {
    if (e instanceof UserAgentError) fail(`the authorization did not reach ${app.redirectUri}: ${e.message}`, { expected: `a redirect to ${app.redirectUri}`, actual: { steps: e.steps }, ...(e.last ? { res: e.last } : {}) });
    throw e;
  }
}

export const SkipsConsentForTheTrustedWebIde = (role: GitlabRole) =>
  condition({
    name: 'EnsureTrustedApplicationSkipsConsent',
    title: 'The trusted Web IDE application: a signed-in user is redirected to its callback with a code, no sign-in page and no consent page',
    needs: { app: WEB_IDE(role) },
    async evaluate({ app }, env) {
      if (app.trusted !== true) env.notApplicable(`the profile does not say the ${role} Web IDE application is trusted (oauth_applications.web_ide.trusted: true), so a consent page is allowed`);
      const agent = new UserAgent(env.http('ide', role));
      const first = await mintTokens(env, role, app, { agent });
      expectThat(!first.authorization.outcome.consented, 'the server showed a consent page for the trusted Web IDE application', { expected: { consent: false }, actual: { steps: first.authorization.outcome.steps } });
      const again = await authorizeOrFail(env, role, app, { agent });
      const code = codeOf(again);
      revokeAfterwards(env, role, app, (await exchangeOk(env, role, app, code, again.verifier)).tokens);
      const { signedIn, consented, steps } = again.outcome;
      expectThat(!signedIn && !consented, `with a session, the authorization showed ${[signedIn && 'a sign-in page', consented && 'a consent page'].filter(Boolean).join(' and ')}`, { expected: { signIn: false, consent: false }, actual: { steps } });
    },
  });

async function exchangeOk(env: ConditionEnv, role: GitlabRole, app: OAuthClient, code: string, verifier: string): Promise<{ tokens: TokenSet; res: HttpResponse }> {
  const res = await exchangeCode(env, role, app, code, verifier);
  const tokens = tokenSetOf(res);
  if (!tokens) fail(`the code exchange was not answered with tokens`, { expected: { status: 200, access_token: 'a token' }, actual: { status: res.status, body: shownBody(res) }, res });
  return { tokens, res };
}

export const AsksConsentForAThirdPartyApp = (role: GitlabRole) =>
  condition({
    name: 'EnsureThirdPartyApplicationAsksConsent',
    title: 'A third-party application gets a consent page; approving it redirects with a code',
    needs: { app: THIRD_PARTY(role) },
    async evaluate({ app }, env) {
      const minted = await mintTokens(env, role, app);
      expectThat(minted.authorization.outcome.consented, 'the server redirected with a code without asking the user to consent', { expected: { consent: true }, actual: { steps: minted.authorization.outcome.steps } });
    },
  });

export const DenialRedirectsAccessDenied = (role: GitlabRole) =>
  condition({
    name: 'EnsureConsentDenialIsAccessDenied',
    title: 'Denying consent redirects to the application with error=access_denied and its state, no code',
    needs: { app: THIRD_PARTY(role) },
    async evaluate({ app }, env) {
      // Denied first, in its own browser: a consent once given may be remembered for the user and application.
      const denied = await authorizeOrFail(env, role, app, { consent: 'deny' });
      if (!denied.outcome.consented) env.notApplicable('the server asked no consent for this application, so there is nothing to deny (asks-consent-for-a-third-party-app says whether it must)');
      await mintTokens(env, role, app);
      expectAuthorizationError(denied, ['access_denied'], 'a denied consent');
    },
  });

/** The authorization response is an error redirect with one of `errors`, the request's state and no code. */
function expectAuthorizationError(a: Authorization, errors: readonly string[], what: string): void {
  const error = a.response.get('error');
  const ok = error !== null && errors.includes(error) && a.response.get('state') === a.state && !a.response.has('code');
  expectThat(ok, `${what}: expected a redirect with error ${errors.join(' or ')} and the state, got ${error ?? (a.response.has('code') ? 'a code' : 'neither code nor error')}`, {
    expected: { error: errors.length === 1 ? errors[0] : errors, state: a.state, code: null },
    actual: Object.fromEntries(a.response),
  });
}

export const ReturnsStateUnchanged = (role: GitlabRole, purpose: AppPurpose = 'web-ide') =>
  condition({
    name: 'EnsureStateReturnedUnchanged',
    title: 'The authorization response carries the request\'s state, unchanged',
    needs: { app: oauthAppOf(`${role}:${purpose}`) },
    async evaluate({ app }, env) {
      const { authorization: a } = await mintTokens(env, role, app);
      expectThat(a.response.get('state') === a.state, 'the state came back changed or not at all', { expected: { state: a.state }, actual: { state: a.response.get('state') } });
    },
  });

export const ReturnsTheIssuerInTheResponse = (role: GitlabRole) =>
  condition({
    name: 'EnsureAuthorizationResponseNamesIssuer',
    title: "The authorization response carries iss, the issuer of the server's metadata (success and error alike)",
    needs: { app: WEB_IDE(role), server: authorizationServerOf(role) },
    async evaluate({ app, server }, env) {
      if (server.metadata.authorization_response_iss_parameter_supported !== true) {
        env.notApplicable('the metadata does not say authorization_response_iss_parameter_supported: true, so RFC 9207 does not bind the server (the metadata check says whether it should)');
      }
      const agent = new UserAgent(env.http('ide', role));
      const { authorization: ok } = await mintTokens(env, role, app, { agent });
      const refused = await authorizeOrFail(env, role, app, { agent, vary: (p) => ({ ...p, code_challenge: undefined, code_challenge_method: undefined }) });
      const seen = { success: ok.response.get('iss'), error: refused.response.get('iss') };
      expectThat(seen.success === server.issuer && seen.error === server.issuer, `iss is ${JSON.stringify(seen)}, the issuer is ${server.issuer}`, { expected: { success: server.issuer, error: server.issuer }, actual: seen });
    },
  });

/**
 * A valid authorization by the application gets a code (the control request); the variant,
 * sent by the same signed-in browser, is redirected with one of `errors`, the state and no code.
 */
export const RefusesAuthorizationVariant = (role: GitlabRole, title: string, vary: (p: AuthorizationParams) => AuthorizationParams, errors: readonly string[]) =>
  condition({
    name: 'EnsureAuthorizationRequestRefused',
    title,
    needs: { app: WEB_IDE(role) },
    async evaluate({ app }, env) {
      const agent = new UserAgent(env.http('ide', role));
      await mintTokens(env, role, app, { agent });
      const refused = await authorizeOrFail(env, role, app, { agent, vary });
      expectAuthorizationError(refused, errors, 'the varied authorization request');
    },
  });

export const NeverRedirectsToAnUnregisteredUri = (role: GitlabRole) =>
  condition({
    name: 'EnsureUnregisteredRedirectUriNotFollowed',
    title: 'An authorization request with a redirect_uri the application did not register gets an error page, never a redirect to that URI',
    needs: { app: WEB_IDE(role) },
    async evaluate({ app }, env) {
      const agent = new UserAgent(env.http('ide', role));
      await mintTokens(env, role, app, { agent });
      const unregistered = `${app.redirectUri.replace(/\/$/, '')}/unregistered`;
      let redirected: Authorization | undefined;
      try {
        redirected = await authorize(env, role, app, { agent, vary: (p) => ({ ...p, redirect_uri: unregistered }), stopAt: unregistered });
      } catch (e) {
        if (e instanceof UserAgentError) return; // an error page: what RFC 6749 §4.1.2.1 asks
        throw e;
      }
      fail(`the server redirected to the unregistered ${unregistered}`, { expected: 'an error page, no redirect', actual: { redirectedTo: redirected.outcome.callback.href.replace(/code=[^&]+/, 'code=…') } });
    },
  });

// --- The token endpoint ------------------------------------------------------------------

export const ExchangesTheCode = (role: GitlabRole) =>
  condition({
    name: 'EnsureCodeExchangedForTokens',
    title: 'The code with its code_verifier is exchanged for {access_token, token_type Bearer (any case), expires_in, refresh_token}',
    needs: { app: WEB_IDE(role) },
    async evaluate({ app }, env) {
      const { authorization, code } = await mintCodeOnly(env, role, app);
      const res = await exchangeCode(env, role, app, code, authorization.verifier);
      const tokens = tokenSetOf(res);
      if (tokens) revokeAfterwards(env, role, app, tokens);
      const ok = tokens !== undefined && tokens.token_type.toLowerCase() === 'bearer' && typeof tokens.expires_in === 'number' && typeof tokens.refresh_token === 'string';
      expectThat(ok, `${res.request} answered ${res.status} without the token set`, {
        expected: { status: 200, access_token: 'a token', token_type: 'Bearer', expires_in: 'seconds', refresh_token: 'a token' },
        actual: { status: res.status, body: shownBody(res) },
        res,
      });
    },
  });

/** An authorization of the application that must give a code (the check's own subject, so a failure fails it). */
async function mintCodeOnly(env: ConditionEnv, role: GitlabRole, app: OAuthClient, options: Parameters<typeof authorize>[3] = {}): Promise<{ authorization: Authorization; code: string }> {
  const authorization = await authorizeOrFail(env, role, app, options);
  return { authorization, code: codeOf(authorization) };
}

/** A property of the token response of a full code exchange by the Web IDE application. */
export const TokenResponse = (role: GitlabRole, name: string, title: string, verify: (m: Minted) => void) =>
  condition({
    name,
    title,
    needs: { app: WEB_IDE(role) },
    async evaluate({ app }, env) {
      verify(await mintTokens(env, role, app));
    },
  });

export const tokenResponseRules = {
  opaque: (m: Minted) =>
    expectThat(!isJwt(m.tokens.access_token), 'the access token is a JWT; GitLab\'s are opaque (stateful, verified by a back channel)', { expected: 'an opaque access token', actual: 'a JWS compact serialisation (eyJ...)', res: m.res }),
  lifetime: (m: Minted) =>
    expectThat(m.tokens.expires_in === OAUTH_TOKEN.ACCESS_TOKEN_TTL_SECONDS, `expires_in is ${JSON.stringify(m.tokens.expires_in ?? null)}`, { expected: { expires_in: OAUTH_TOKEN.ACCESS_TOKEN_TTL_SECONDS }, actual: { expires_in: m.tokens.expires_in ?? null }, res: m.res }),
  noStore: (m: Minted) => expectHeader(m.res, 'Cache-Control', 'to include no-store', noStore),
};

/** Where the variant of a token request comes from: a fresh authorization of `app`. */
export interface TokenVariant {
  label: string;
  /** The application whose code the variant uses (default the Web IDE's). */
  app?: AppPurpose;
  /** Other applications it needs (another client, say). */
  needs?: AppPurpose[];
  /** The verifier whose S256 challenge the authorization sends (default a fresh valid one). */
  verifier?: () => string;
  send(env: ConditionEnv, t: { role: GitlabRole; app: OAuthClient; code: string; verifier: string; apps: Partial<Record<AppPurpose, OAuthClient>> }): Promise<HttpResponse>;
  errors: readonly string[];
  statuses?: readonly number[];
  /** Further assertions on the refusal (WWW-Authenticate). */
  also?: (res: HttpResponse) => void;
}

/**
 * A full authorization and code exchange by the application succeeds (the control request);
 * the variant, on a fresh code of the same application, gets an OAuth error of `errors`.
 */
export const RefusesTokenRequest = (role: GitlabRole, title: string, variant: TokenVariant) =>
  condition({
    name: 'EnsureTokenRequestRefused',
    title,
    needs: { app: oauthAppOf(`${role}:${variant.app ?? 'web-ide'}`) },
    async evaluate({ app }, env) {
      const apps: Partial<Record<AppPurpose, OAuthClient>> = {};
      for (const purpose of variant.needs ?? []) apps[purpose] = await env.need(oauthAppOf(`${role}:${purpose}`));
      const agent = new UserAgent(env.http('ide', role));
      await mintTokens(env, role, app, { agent });
      const verifier = variant.verifier?.() ?? codeVerifier();
      const { code } = await mintCodeOnly(env, role, app, { agent, verifier });
      const res = await variant.send(env, { role, app, code, verifier, apps });
      const tokens = tokenSetOf(res);
      if (tokens) revokeAfterwards(env, role, apps['third-party'] ?? app, tokens);
      expectOAuthError(res, variant.errors, variant.statuses ?? [400], variant.label);
      variant.also?.(res);
    },
  });

const codeForm = (t: { app: OAuthClient; code: string; verifier: string }) => ({ grant_type: 'authorization_code', code: t.code, redirect_uri: t.app.redirectUri, code_verifier: t.verifier });

/** A verifier of 42 characters (one short of RFC 7636 §4.1's minimum) and one of 43 with a character outside the unreserved set. */
export const badVerifiers = {
  tooShort: () => codeVerifier().slice(0, 42),
  badCharset: () => `${codeVerifier().slice(0, 42)}+`,
};

export const tokenVariants = {
  wrongVerifier: {
    label: 'a code_verifier other than the one the challenge was made from',
    send: (env, t) => tokenRequest(env, t.role, { ...codeForm(t), code_verifier: codeVerifier() }, clientAuthOf(t.app), 'POST /oauth/token (wrong code_verifier)'),
    errors: ['invalid_grant'],
  },
  missingVerifier: {
    label: 'no code_verifier for a code issued with a challenge',
    send: (env, t) => tokenRequest(env, t.role, { ...codeForm(t), code_verifier: undefined }, clientAuthOf(t.app), 'POST /oauth/token (no code_verifier)'),
    errors: ['invalid_grant', 'invalid_request'],
  },
  shortVerifier: {
    label: 'a 42-character code_verifier (its S256 challenge was sent)',
    verifier: badVerifiers.tooShort,
    send: (env, t) => tokenRequest(env, t.role, codeForm(t), clientAuthOf(t.app), 'POST /oauth/token (42-character code_verifier)'),
    errors: ['invalid_grant', 'invalid_request'],
  },
  verifierOutsideCharset: {
    label: "a 43-character code_verifier with '+' (its S256 challenge was sent)",
    verifier: badVerifiers.badCharset,
    send: (env, t) => tokenRequest(env, t.role, codeForm(t), clientAuthOf(t.app), "POST /oauth/token (code_verifier with '+')"),
    errors: ['invalid_grant', 'invalid_request'],
  },
  replayedCode: {
    label: 'the code exchanged a second time',
    send: async (env, t) => {
      const first = await tokenRequest(env, t.role, codeForm(t), clientAuthOf(t.app), 'POST /oauth/token (first exchange)');
      const tokens = tokenSetOf(first);
      if (!tokens) fail('the first exchange of the code was refused', { expected: { status: 200 }, actual: { status: first.status, body: shownBody(first) }, res: first });
      revokeAfterwards(env, t.role, t.app, tokens);
      return tokenRequest(env, t.role, codeForm(t), clientAuthOf(t.app), 'POST /oauth/token (the same code again)');
    },
    errors: ['invalid_grant'],
  },
  anotherClient: {
    label: "the Web IDE's code exchanged by the third-party application (authenticated)",
    needs: ['third-party'],
    send: (env, t) => tokenRequest(env, t.role, codeForm(t), clientAuthOf(t.apps['third-party']!), "POST /oauth/token (another client's code)"),
    errors: ['invalid_grant'],
  },
  anotherRedirectUri: {
    label: 'a redirect_uri other than the authorization request\'s',
    send: (env, t) => tokenRequest(env, t.role, { ...codeForm(t), redirect_uri: `${t.app.redirectUri.replace(/\/$/, '')}/other` }, clientAuthOf(t.app), 'POST /oauth/token (another redirect_uri)'),
    errors: ['invalid_grant'],
  },
  noGrantType: {
    label: 'no grant_type',
    send: (env, t) => tokenRequest(env, t.role, { ...codeForm(t), grant_type: undefined }, clientAuthOf(t.app), 'POST /oauth/token (no grant_type)'),
    errors: ['invalid_request'],
  },
  unknownGrantType: {
    label: 'grant_type urn:example:no-such-grant',
    send: (env, t) => tokenRequest(env, t.role, { ...codeForm(t), grant_type: 'urn:example:no-such-grant' }, clientAuthOf(t.app), 'POST /oauth/token (unknown grant_type)'),
    errors: ['unsupported_grant_type'],
  },
  badClientSecret: {
    label: 'the third-party application with a wrong client secret (HTTP Basic)',
    app: 'third-party',
    send: (env, t) => tokenRequest(env, t.role, codeForm(t), { kind: 'basic', clientId: t.app.clientId, clientSecret: `${t.app.clientSecret ?? ''}-wrong` }, 'POST /oauth/token (wrong client secret)'),
    errors: ['invalid_client'],
    statuses: [401],
    also: (res) => expectHeader(res, 'WWW-Authenticate', 'to challenge with Basic (RFC 6749 §5.2: the scheme the client used)', (v) => /^\s*basic\b/i.test(v ?? '')),
  },
} satisfies Record<string, TokenVariant>;

/**
 * A grant the public Web IDE client may not use: client_credentials, which RFC 6749 §4.4 keeps
 * for confidential clients. unauthorized_client where the server offers the grant; where its
 * metadata does not list it, unsupported_grant_type is the right answer too.
 */
export const RefusesAGrantTheClientMayNotUse = (role: GitlabRole) =>
  condition({
    name: 'EnsureUnauthorizedClientRefused',
    title: 'The public Web IDE application asking for client_credentials -> 400/401 unauthorized_client (unsupported_grant_type where the server offers no such grant; invalid_client where it wants a secret)',
    needs: { app: WEB_IDE(role), server: authorizationServerOf(role) },
    async evaluate({ app, server }, env) {
      await mintTokens(env, role, app);
      const offered = Array.isArray(server.metadata.grant_types_supported) && (server.metadata.grant_types_supported as unknown[]).includes('client_credentials');
      const res = await tokenRequest(env, role, { grant_type: 'client_credentials', scope: app.scopes.join(' ') || undefined }, clientAuthOf(app), 'POST /oauth/token (client_credentials by a public client)');
      const tokens = tokenSetOf(res);
      if (tokens) revokeAfterwards(env, role, app, tokens);
      expectOAuthError(res, offered ? ['unauthorized_client', 'invalid_client'] : ['unauthorized_client', 'unsupported_grant_type', 'invalid_client'], [400, 401], 'client_credentials by a public client');
    },
  });

export const MarksErrorsNoStore = (role: GitlabRole) =>
  condition({
    name: 'EnsureTokenErrorNotStored',
    title: 'A token endpoint error (a wrong code_verifier) carries Cache-Control: no-store too',
    needs: { app: WEB_IDE(role) },
    async evaluate({ app }, env) {
      const agent = new UserAgent(env.http('ide', role));
      await mintTokens(env, role, app, { agent });
      const { code } = await mintCodeOnly(env, role, app, { agent });
      const res = await exchangeCode(env, role, app, code, codeVerifier(), 'POST /oauth/token (wrong code_verifier)');
      expectOAuthError(res, ['invalid_grant'], [400], 'a wrong code_verifier');
      expectHeader(res, 'Cache-Control', 'to include no-store', noStore);
    },
  });

/** After a code was exchanged twice, the first exchange's access token no longer works (RFC 6749 §4.1.2 SHOULD). */
export const RevokesTokensOfAReplayedCode = (role: GitlabRole) =>
  condition({
    name: 'EnsureCodeReplayRevokesTokens',
    title: "After the code is exchanged a second time, the first exchange's access token is no longer active (token info)",
    needs: { app: WEB_IDE(role) },
    async evaluate({ app }, env) {
      const m = await mintTokens(env, role, app);
      const before = await tokenActive(env, role, m.tokens.access_token, 'GET /oauth/token/info (before the replay: control)');
      if (!before.active) env.notApplicable(`the freshly minted access token is not active at ${before.res.request} (${before.res.status}), so its revocation cannot be seen`);
      const replay = await exchangeCode(env, role, app, m.code, m.authorization.verifier, 'POST /oauth/token (the same code again)');
      const replayed = tokenSetOf(replay);
      if (replayed) revokeAfterwards(env, role, app, replayed);
      const after = await tokenActive(env, role, m.tokens.access_token, 'GET /oauth/token/info (after the replay)');
      expectThat(!after.active, "the first exchange's access token is still active after its code was replayed", { expected: { active: false }, actual: { status: after.res.status }, res: after.res });
    },
  });

// --- Refresh (RFC 6749 §6; RFC 9700 §4.14.2) ------------------------------------------------

async function refreshOk(env: ConditionEnv, role: GitlabRole, app: OAuthClient, refreshToken: string, label: string): Promise<{ tokens: TokenSet; res: HttpResponse }> {
  const res = await refresh(env, role, app, refreshToken, undefined, label);
  const tokens = tokenSetOf(res);
  if (!tokens) fail(`${res.request} did not refresh`, { expected: { status: 200, access_token: 'a token' }, actual: { status: res.status, body: shownBody(res) }, res });
  revokeAfterwards(env, role, app, tokens);
  return { tokens, res };
}

/** A refresh token of a fresh grant (the control: the exchange gave one). */
async function refreshable(env: ConditionEnv, role: GitlabRole, app: OAuthClient): Promise<Minted & { refreshToken: string }> {
  const m = await mintTokens(env, role, app);
  return { ...m, refreshToken: m.tokens.refresh_token ?? env.notApplicable('the code exchange returned no refresh_token') };
}

export const RotatesRefreshTokens = (role: GitlabRole) =>
  condition({
    name: 'EnsureRefreshRotatesTokens',
    title: "Refreshing the Web IDE's (public) grant returns a new access token and a new refresh token; the new access token is active",
    needs: { app: WEB_IDE(role) },
    async evaluate({ app }, env) {
      const m = await refreshable(env, role, app);
      const { tokens, res } = await refreshOk(env, role, app, m.refreshToken, 'POST /oauth/token (refresh_token)');
      const rotated = typeof tokens.refresh_token === 'string' && tokens.refresh_token !== m.refreshToken && tokens.access_token !== m.tokens.access_token;
      expectThat(rotated, 'the refresh did not rotate both tokens', { expected: { access_token: 'a new one', refresh_token: 'a new one' }, actual: { newAccessToken: tokens.access_token !== m.tokens.access_token, newRefreshToken: tokens.refresh_token !== undefined && tokens.refresh_token !== m.refreshToken }, res });
      const info = await tokenActive(env, role, tokens.access_token, 'GET /oauth/token/info (the refreshed access token)');
      expectThat(info.active, 'the refreshed access token is not active', { expected: { status: 200 }, actual: { status: info.res.status, body: shownBody(info.res) }, res: info.res });
    },
  });

export const RevokesTheFamilyOnRefreshTokenReuse = (role: GitlabRole) =>
  condition({
    name: 'EnsureRefreshTokenReuseRevokesFamily',
    title: 'A rotated-out refresh token used again -> invalid_grant, and the tokens the rotation issued stop working',
    needs: { app: WEB_IDE(role) },
    async evaluate({ app }, env) {
      const m = await refreshable(env, role, app);
      const { tokens: next } = await refreshOk(env, role, app, m.refreshToken, 'POST /oauth/token (refresh_token: control request)');
      const rotated = next.refresh_token !== undefined && next.refresh_token !== m.refreshToken ? next.refresh_token : env.notApplicable('the server does not rotate refresh tokens (the rotation check says whether it must)');
      const reuse = await refresh(env, role, app, m.refreshToken, undefined, 'POST /oauth/token (the rotated-out refresh token again)');
      const leaked = tokenSetOf(reuse);
      if (leaked) revokeAfterwards(env, role, app, leaked);
      expectOAuthError(reuse, ['invalid_grant'], [400], 'reuse of a rotated-out refresh token');
      const access = await tokenActive(env, role, next.access_token, 'GET /oauth/token/info (the rotation\'s access token)');
      const again = await refresh(env, role, app, rotated, undefined, "POST /oauth/token (the rotation's refresh token)");
      const survived = tokenSetOf(again);
      if (survived) revokeAfterwards(env, role, app, survived);
      expectThat(!access.active && !survived, 'the family survived the reuse of a rotated-out refresh token', {
        expected: { rotatedAccessTokenActive: false, rotatedRefreshTokenRefreshes: false },
        actual: { rotatedAccessTokenActive: access.active, rotatedRefreshTokenRefreshes: survived !== undefined },
        res: again,
      });
    },
  });

export const RefusesToWidenScopeOnRefresh = (role: GitlabRole) =>
  condition({
    name: 'EnsureRefreshCannotWidenScope',
    title: 'A refresh asking for a scope the grant does not have -> invalid_scope (a refresh without scope succeeds first)',
    needs: { app: WEB_IDE(role) },
    async evaluate({ app }, env) {
      const m = await refreshable(env, role, app);
      const granted = (m.tokens.scope ?? app.scopes.join(' ')).split(' ').filter(Boolean);
      const extra = OAUTH_SCOPES.find((s) => !granted.includes(s));
      if (!extra) env.notApplicable(`the grant already holds every scope the harness knows (${granted.join(' ')})`);
      const { tokens } = await refreshOk(env, role, app, m.refreshToken, 'POST /oauth/token (refresh_token: control request)');
      const rt = tokens.refresh_token ?? m.refreshToken;
      const res = await refresh(env, role, app, rt, [...granted, extra].join(' '), `POST /oauth/token (refresh_token, scope + ${extra})`);
      const widened = tokenSetOf(res);
      if (widened) revokeAfterwards(env, role, app, widened);
      expectOAuthError(res, ['invalid_scope'], [400], `a refresh asking for ${extra} too`);
    },
  });

// --- Revocation (RFC 7009) ------------------------------------------------------------------

export const RevocationAcceptsAnUnknownToken = (role: GitlabRole) =>
  condition({
    name: 'EnsureRevocationOfUnknownTokenIs200',
    title: 'POST /oauth/revoke of a token the server never issued -> 200 (as for a real one)',
    needs: { app: WEB_IDE(role) },
    async evaluate({ app }, env) {
      const m = await mintTokens(env, role, app);
      const real = await revoke(env, role, app, m.tokens.access_token, 'access_token', 'POST /oauth/revoke (a real access token: control request)');
      expectControlAccepted(env, real, 'revocation of an access token the server issued');
      const res = await revoke(env, role, app, `unknown-${codeVerifier()}`, undefined, 'POST /oauth/revoke (an unknown token)');
      expectThat(res.status === 200, `${res.request} answered ${res.status} for an unknown token`, { expected: { status: 200 }, actual: { status: res.status, body: shownBody(res) }, res });
    },
  });

export const RevokingARefreshTokenEndsItsAccessTokens = (role: GitlabRole) =>
  condition({
    name: 'EnsureRefreshTokenRevocationEndsAccessTokens',
    title: 'After its refresh token is revoked (200), the grant\'s access token is no longer active',
    needs: { app: WEB_IDE(role) },
    async evaluate({ app }, env) {
      const m = await refreshable(env, role, app);
      const before = await tokenActive(env, role, m.tokens.access_token, 'GET /oauth/token/info (before: control)');
      if (!before.active) env.notApplicable(`the freshly minted access token is not active (${before.res.status}), so its revocation cannot be seen`);
      const res = await revoke(env, role, app, m.refreshToken, 'refresh_token', 'POST /oauth/revoke (the refresh token)');
      expectThat(res.status === 200, `${res.request} answered ${res.status}`, { expected: { status: 200 }, actual: { status: res.status, body: shownBody(res) }, res });
      const after = await tokenActive(env, role, m.tokens.access_token, 'GET /oauth/token/info (after the refresh token was revoked)');
      expectThat(!after.active, 'the access token is still active after its refresh token was revoked', { expected: { active: false }, actual: { status: after.res.status }, res: after.res });
    },
  });

// --- GitLab's /oauth/token/info --------------------------------------------------------------

export const DescribesAValidToken = (role: GitlabRole) =>
  condition({
    name: 'EnsureTokenInfoDescribesToken',
    title: 'GET /oauth/token/info with a valid token -> 200 {resource_owner_id, scope[], expires_in, application.uid, created_at, scopes, expires_in_seconds}',
    needs: { app: WEB_IDE(role) },
    async evaluate({ app }, env) {
      const m = await mintTokens(env, role, app);
      const res = await tokenInfo(env, role, m.tokens.access_token);
      if (res.status === 404) env.notApplicable(`${role} serves no /oauth/token/info (404): not a GitLab`);
      const info = res.json as Partial<OAuthTokenInfo> | undefined;
      const granted = (m.tokens.scope ?? '').split(' ').filter(Boolean).sort();
      const problems: string[] = [];
      if (res.status !== 200 || !info) problems.push(`status ${res.status}`);
      else {
        if (typeof info.resource_owner_id !== 'number') problems.push('resource_owner_id is no number');
        if (!Array.isArray(info.scope) || (granted.length && JSON.stringify([...info.scope].sort()) !== JSON.stringify(granted))) problems.push('scope is not the granted scopes as an array');
        if (JSON.stringify(info.scopes) !== JSON.stringify(info.scope)) problems.push('scopes differs from scope');
        if (typeof info.expires_in !== 'number' || info.expires_in <= 0 || info.expires_in > (m.tokens.expires_in ?? OAUTH_TOKEN.ACCESS_TOKEN_TTL_SECONDS)) problems.push('expires_in is not the remaining lifetime');
        if (info.expires_in_seconds !== info.expires_in) problems.push('expires_in_seconds differs from expires_in');
        if (info.application?.uid !== app.clientId) problems.push('application.uid is not the client_id');
        if (typeof info.created_at !== 'number') problems.push('created_at is no number');
      }
      expectThat(problems.length === 0, `the token info is not GitLab's: ${problems.join('; ')}`, {
        expected: { resource_owner_id: 'a number', scope: granted, expires_in: `0 < s <= ${m.tokens.expires_in ?? OAUTH_TOKEN.ACCESS_TOKEN_TTL_SECONDS}`, application: { uid: app.clientId }, created_at: 'epoch seconds', scopes: granted, expires_in_seconds: '= expires_in' },
        actual: { status: res.status, body: shownBody(res) },
        res,
      });
    },
  });

export const TokenInfoRefusesAnInvalidToken = (role: GitlabRole) =>
  condition({
    name: 'EnsureTokenInfoRefusesInvalidToken',
    title: `GET /oauth/token/info with a token the server never issued -> ${TOKEN_INFO_INVALID.status} ${TOKEN_INFO_INVALID.body.error} (today's GitLab, contracts TOKEN_INFO_INVALID) or 400 ${DOORKEEPER_INVALID_REQUEST.error} (older GitLab); a valid one -> 200`,
    needs: { app: WEB_IDE(role) },
    async evaluate({ app }, env) {
      const m = await mintTokens(env, role, app);
      const valid = await tokenInfo(env, role, m.tokens.access_token, 'GET /oauth/token/info (a valid token: control request)');
      if (valid.status === 404) env.notApplicable(`${role} serves no /oauth/token/info (404): not a GitLab`);
      expectControlAccepted(env, valid, 'token info request');
      const res = await tokenInfo(env, role, codeVerifier(), 'GET /oauth/token/info (an unknown token)');
      // Both answers are GitLab's: InvalidTokenResponse today, ErrorResponse(:invalid_request) before (contracts/src/oauth.ts).
      const older = res.status === 400;
      expectOAuthError(res, [older ? DOORKEEPER_INVALID_REQUEST.error : TOKEN_INFO_INVALID.body.error], [older ? 400 : TOKEN_INFO_INVALID.status], 'token info of an unknown token');
    },
  });
