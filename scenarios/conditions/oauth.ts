/**
 * Needs and flows of OAuth 2.0 checks (seed 000 option 1; RFC 6749 §4.1 with PKCE, RFC 7636):
 * the authorization server's metadata (RFC 8414), the profile's applications and user, an
 * authorization through the scripted browser, the code exchange, refresh, revocation and the
 * token's liveness as GitLab tells it (/oauth/token/info). Conditions are in oauth-server.ts
 * (the authorization server's rules) and oauth-gateway.ts (the gateway's back channel).
 *
 * Every check that mints tokens revokes them afterwards (ConditionEnv.restore), where the
 * server has a revocation endpoint. Requests go through the recording client, byte for byte
 * what the check says (clients/oauth-client.ts).
 */
import { OAUTH_PATH } from '#contracts';
import { expectStatus, fail, shownBody } from '../checks/expect.js';
import { reachable } from '../checks/urls.js';
import { callbackParams, clientAuthOf, codeVerifier, newState, postForm, s256, tokenSetOf, authorizationParams, authorizationUrl, type AuthorizationParams, type ClientAuth, type OAuthClient, type TokenSet } from '../clients/oauth-client.js';
import { UserAgent, UserAgentError, type AuthorizationOutcome, type ConsentAnswer, type Credentials } from '../clients/user-agent.js';
import { need, needFamily, type ConditionEnv, type NeedEnv } from '../runner/condition.js';
import type { HttpResponse } from '../runner/types.js';
import { expectControlAccepted } from './issuer.js';
import type { GitlabRole } from './needs.js';

export type { OAuthClient } from '../clients/oauth-client.js';

/** The authorization server as its RFC 8414 metadata describes it, endpoints made reachable. */
export interface AuthorizationServer {
  metadata: Record<string, unknown>;
  res: HttpResponse;
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  /** RFC 7009; absent when the metadata names none. */
  revocationEndpoint?: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** GET /.well-known/oauth-authorization-server (RFC 8414 §3): 200 JSON naming the two endpoints the code flow needs. */
export const authorizationServerOf = needFamily((role: GitlabRole) =>
  need<AuthorizationServer>(`the OAuth authorization server metadata of ${role}`, async (env) => {
    const target = env.target(role);
    const res = await env.http('harness', role).request({ method: 'GET', path: OAUTH_PATH.AUTHORIZATION_SERVER_METADATA, label: 'GET oauth-authorization-server' });
    expectStatus(res, 200);
    const metadata = res.json as Record<string, unknown> | undefined;
    const authorization = str(metadata?.authorization_endpoint);
    const token = str(metadata?.token_endpoint);
    if (!metadata || !authorization || !token) {
      fail(`${res.request} names no authorization_endpoint and token_endpoint`, { expected: { authorization_endpoint: 'a URL', token_endpoint: 'a URL' }, actual: shownBody(res), res });
    }
    const revocation = str(metadata.revocation_endpoint);
    return {
      metadata,
      res,
      issuer: String(metadata.issuer ?? ''),
      authorizationEndpoint: reachable(target, authorization),
      tokenEndpoint: reachable(target, token),
      ...(revocation ? { revocationEndpoint: reachable(target, revocation) } : {}),
    };
  }),
);

export type AppPurpose = 'web-ide' | 'third-party';

/** An OAuth application of the profile, its redirect URI made absolute (a path is under the instance's issuer URL). */
export const oauthAppOf = needFamily((key: `${GitlabRole}:${AppPurpose}`) => {
  const [role, purpose] = key.split(':') as [GitlabRole, AppPurpose];
  return need<OAuthClient>(`the ${purpose} OAuth application of ${role}`, async (env) => {
    const apps = env.credentials(role).oauthApplications;
    const app = purpose === 'web-ide' ? apps?.webIde : apps?.thirdParty;
    if (!app) return env.notApplicable(`the target profile names no ${role} credentials.oauth_applications.${purpose.replace('-', '_')}`);
    const redirectUri = app.redirectUri.startsWith('/') ? `${env.target(role).issuer}${app.redirectUri}` : app.redirectUri;
    return { ...app, redirectUri };
  });
});

/** The user who authorizes (the profile's). */
export const oauthUserOf = needFamily((role: GitlabRole) =>
  need<Credentials>(`a ${role} user to authorize with`, async (env) => env.credentials(role).user ?? env.notApplicable(`the target profile gives no ${role} user to sign in with`)),
);

/** One authorization request and what came back at the redirect URI. */
export interface Authorization {
  outcome: AuthorizationOutcome;
  /** The authorization response's parameters (code or error, state, iss). */
  response: URLSearchParams;
  request: AuthorizationParams;
  state: string;
  verifier: string;
}

export interface AuthorizeOptions {
  consent?: ConsentAnswer;
  /** A browser that may already be signed in; a new one otherwise. */
  agent?: UserAgent;
  /** The code verifier whose S256 challenge is sent (default: a fresh valid one). */
  verifier?: string;
  /** Changes the request's parameters (undefined removes one). */
  vary?: (params: AuthorizationParams) => AuthorizationParams;
  /** Where the browser stops (default: the application's redirect URI). */
  stopAt?: string;
}

/** Runs one authorization request through the scripted browser (sign-in and consent as needed). Throws UserAgentError when no redirect reaches `stopAt`. */
export async function authorize(env: NeedEnv, role: GitlabRole, app: OAuthClient, options: AuthorizeOptions = {}): Promise<Authorization> {
  const server = await env.need(authorizationServerOf(role));
  const user = await env.need(oauthUserOf(role));
  const verifier = options.verifier ?? codeVerifier();
  const state = newState();
  const base = authorizationParams(app, s256(verifier), state);
  const request = options.vary ? options.vary(base) : base;
  const agent = options.agent ?? new UserAgent(env.http('ide', role));
  const outcome = await agent.authorize(authorizationUrl(server.authorizationEndpoint, request), options.stopAt ?? app.redirectUri, user, options.consent ?? 'approve');
  return { outcome, response: callbackParams(outcome.callback), request, state, verifier };
}

/** The code of an authorization response; fails naming the error the server redirected with instead. */
export function codeOf(a: Authorization): string {
  const code = a.response.get('code');
  if (!code) {
    fail(`the authorization response carries no code: ${a.response.get('error') ?? 'no error either'}${a.response.get('error_description') ? ` (${a.response.get('error_description')})` : ''}`, {
      expected: { code: 'an authorization code', state: a.state },
      actual: Object.fromEntries(a.response),
    });
  }
  return code;
}

/** POST the token endpoint with `form`, authenticating as the application (public: client_id in the body; confidential: HTTP Basic). */
export async function tokenRequest(env: NeedEnv, role: GitlabRole, form: Record<string, string | undefined>, auth: ClientAuth, label: string): Promise<HttpResponse> {
  const server = await env.need(authorizationServerOf(role));
  return postForm(env.http('ide', role), server.tokenEndpoint, form, auth, label);
}

/** The code exchange of RFC 6749 §4.1.3 with the PKCE verifier (RFC 7636 §4.5). */
export function exchangeCode(env: NeedEnv, role: GitlabRole, app: OAuthClient, code: string, verifier: string | undefined, label = 'POST /oauth/token (authorization_code)'): Promise<HttpResponse> {
  return tokenRequest(env, role, { grant_type: 'authorization_code', code, redirect_uri: app.redirectUri, code_verifier: verifier }, clientAuthOf(app), label);
}

/** RFC 6749 §6. */
export function refresh(env: NeedEnv, role: GitlabRole, app: OAuthClient, refreshToken: string, scope?: string, label = 'POST /oauth/token (refresh_token)'): Promise<HttpResponse> {
  return tokenRequest(env, role, { grant_type: 'refresh_token', refresh_token: refreshToken, scope }, clientAuthOf(app), label);
}

/** RFC 7009 §2.1; not applicable when the metadata names no revocation endpoint. */
export async function revoke(env: NeedEnv, role: GitlabRole, app: OAuthClient, token: string, hint?: 'access_token' | 'refresh_token', label = 'POST /oauth/revoke'): Promise<HttpResponse> {
  const server = await env.need(authorizationServerOf(role));
  if (!server.revocationEndpoint) return env.notApplicable(`${role}'s authorization server metadata names no revocation_endpoint (RFC 7009)`);
  return postForm(env.http('ide', role), server.revocationEndpoint, { token, token_type_hint: hint }, clientAuthOf(app), label);
}

/** Tokens a check minted: the authorization and the token response. */
export interface Minted {
  app: OAuthClient;
  authorization: Authorization;
  code: string;
  tokens: TokenSet;
  res: HttpResponse;
}

/**
 * A full authorization and code exchange, the check's control request: when the server does not
 * complete it, the check is not applicable (nothing it refuses would prove anything). The
 * tokens are revoked after the check (restore), when the server can revoke.
 */
export async function mintTokens(env: ConditionEnv, role: GitlabRole, app: OAuthClient, options: AuthorizeOptions = {}): Promise<Minted> {
  let authorization: Authorization;
  try {
    authorization = await authorize(env, role, app, options);
  } catch (e) {
    if (e instanceof UserAgentError) env.notApplicable(`the valid authorization request this check needs did not reach the redirect URI: ${e.message}`);
    throw e;
  }
  const code = authorization.response.get('code');
  if (!code) return env.notApplicable(`the valid authorization request this check needs was answered with ${authorization.response.get('error') ?? 'no code'}`);
  const res = await exchangeCode(env, role, app, code, authorization.verifier, 'POST /oauth/token (authorization_code: control request)');
  expectControlAccepted(env, res, 'code exchange (authorization_code with the right code_verifier)');
  const tokens = tokenSetOf(res);
  if (!tokens) return env.notApplicable(`the valid code exchange answered ${res.status} without a token set`);
  revokeAfterwards(env, role, app, tokens);
  return { app, authorization, code, tokens, res };
}

/** Registers revoking `tokens` after the check (refresh token first: it ends the grant's access tokens where the server follows RFC 7009 §2.1). */
export function revokeAfterwards(env: ConditionEnv, role: GitlabRole, app: OAuthClient, tokens: TokenSet): void {
  env.restore(`the OAuth tokens this check minted at ${role} (revoked)`, async () => {
    const server = await env.need(authorizationServerOf(role));
    if (!server.revocationEndpoint) return;
    for (const [token, hint] of [[tokens.refresh_token, 'refresh_token'], [tokens.access_token, 'access_token']] as const) {
      if (!token) continue;
      const res = await postForm(env.http('ide', role), server.revocationEndpoint, { token, token_type_hint: hint }, clientAuthOf(app), `POST /oauth/revoke (${hint}: clean-up)`);
      if (res.status !== 200) throw new Error(`${res.request} answered ${res.status}`);
    }
  });
}

/** Whether GitLab calls an access token active (GET /oauth/token/info: 200 yes, 400/401 no); not applicable where the path is not served. */
export async function tokenActive(env: NeedEnv, role: GitlabRole, accessToken: string, label = 'GET /oauth/token/info'): Promise<{ active: boolean; res: HttpResponse }> {
  const res = await tokenInfo(env, role, accessToken, label);
  if (res.status === 404 || res.status === 405) env.notApplicable(`${role} serves no ${OAUTH_PATH.TOKEN_INFO} (${res.status}), so whether a token is still active cannot be asked`);
  if (res.status === 200) return { active: true, res };
  if (res.status === 400 || res.status === 401) return { active: false, res };
  return fail(`${res.request} answered ${res.status}: neither a token description (200) nor a refusal (400/401)`, { expected: { status: [200, 400, 401] }, actual: { status: res.status, body: shownBody(res) }, res });
}

/** GET /oauth/token/info with the token as a Bearer credential. */
export function tokenInfo(env: NeedEnv, role: GitlabRole, accessToken: string, label = 'GET /oauth/token/info'): Promise<HttpResponse> {
  return env.http('ide', role).request({ method: 'GET', path: OAUTH_PATH.TOKEN_INFO, headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' }, label });
}

/** The response is an OAuth error (RFC 6749 §5.2) with one of `errors`, one of `statuses`, and no token in it. */
export function expectOAuthError(res: HttpResponse, errors: readonly string[], statuses: readonly number[], what: string): void {
  const error = (res.json as { error?: unknown } | undefined)?.error;
  const leaked = (res.json as { access_token?: unknown } | undefined)?.access_token !== undefined;
  if (!statuses.includes(res.status) || typeof error !== 'string' || !errors.includes(error) || leaked) {
    fail(`${what}: expected HTTP ${statuses.join(' or ')} with error ${errors.join(' or ')} from ${res.request}, got ${res.status}${typeof error === 'string' ? ` ${error}` : ''}${leaked ? ' with an access_token' : ''}`, {
      expected: { status: statuses.length === 1 ? statuses[0] : statuses, error: errors.length === 1 ? errors[0] : errors },
      actual: { status: res.status, body: shownBody(res) },
      res,
    });
  }
}
