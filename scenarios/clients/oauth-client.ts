/**
 * A low-level OAuth 2.0 client for checks (RFC 6749 §4.1 with PKCE, RFC 7636; refresh, §6;
 * revocation, RFC 7009): plain HTTP through the scenario's recording client, so a check
 * controls every byte it sends (a missing parameter, a `plain` challenge, a verifier of the
 * wrong length) and every exchange lands in the report. No library sits between the check and
 * the server: a library would refuse to send the malformed requests the checks are made of.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { HttpClient, HttpResponse } from '../runner/types.js';

/** RFC 7636 §4.1: 43-128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~". */
export const PKCE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

/** A fresh code verifier: 32 random octets, base64url (43 characters, RFC 7636 §4.1's recommendation). */
export function codeVerifier(): string {
  return randomBytes(32).toString('base64url');
}

/** code_challenge = BASE64URL(SHA256(ASCII(code_verifier))) (RFC 7636 §4.2, S256). */
export function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** An opaque `state` (RFC 6749 §10.12: not guessable), with characters that must survive unchanged. */
export function newState(): string {
  return `st-${randomBytes(12).toString('base64url')}.~`;
}

/** The application a check authorizes as (the profile's, with an absolute redirect URI). */
export interface OAuthClient {
  clientId: string;
  clientSecret?: string;
  redirectUri: string;
  scopes: string[];
  trusted?: boolean;
}

/** The authorization request's parameters; `undefined` leaves one out. */
export type AuthorizationParams = Record<string, string | undefined>;

/** RFC 6749 §4.1.1 with RFC 7636 §4.3: response_type code, S256 challenge, state. */
export function authorizationParams(client: OAuthClient, challenge: string, state: string, scope = client.scopes.join(' ')): AuthorizationParams {
  return {
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: client.redirectUri,
    ...(scope ? { scope } : {}),
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  };
}

/** The authorization endpoint URL with `params` (those left `undefined` are not sent). */
export function authorizationUrl(endpoint: string, params: AuthorizationParams): string {
  const url = new URL(endpoint);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.href;
}

/** RFC 6749 §2.3.1: client_id and secret form-urlencoded, then base64 of `id:secret`. */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  const enc = (v: string) => encodeURIComponent(v).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(clientId)}:${enc(clientSecret)}`).toString('base64')}`;
}

/** How a token or revocation request authenticates the client. */
export type ClientAuth = { kind: 'none'; clientId: string } | { kind: 'basic'; clientId: string; clientSecret: string } | { kind: 'omitted' };

/** The client's own authentication: HTTP Basic for a confidential client (§2.3.1's MUST-support), client_id in the body for a public one. */
export function clientAuthOf(client: OAuthClient): ClientAuth {
  return client.clientSecret ? { kind: 'basic', clientId: client.clientId, clientSecret: client.clientSecret } : { kind: 'none', clientId: client.clientId };
}

/**
 * POST a form to a token-endpoint-like URL (token, revocation), authenticating as `auth`.
 * Parameters left `undefined` are not sent.
 */
export function postForm(http: HttpClient, url: string, form: Record<string, string | undefined>, auth: ClientAuth, label: string): Promise<HttpResponse> {
  const body: Record<string, string> = {};
  for (const [k, v] of Object.entries(form)) if (v !== undefined) body[k] = v;
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (auth.kind === 'basic') headers.Authorization = basicAuthorization(auth.clientId, auth.clientSecret);
  if (auth.kind === 'none' && body.client_id === undefined) body.client_id = auth.clientId;
  return http.request({ method: 'POST', path: url, form: body, headers, label });
}

/** The successful token response's members the checks read (RFC 6749 §5.1). */
export interface TokenSet {
  access_token: string;
  token_type: string;
  expires_in?: number;
  refresh_token?: string;
  scope?: string;
}

/** The token set of a 200 answer, or undefined when the body is not one. */
export function tokenSetOf(res: HttpResponse): TokenSet | undefined {
  const body = res.json as Partial<TokenSet> | undefined;
  if (res.status !== 200 || !body || typeof body.access_token !== 'string' || typeof body.token_type !== 'string') return undefined;
  return body as TokenSet;
}

/** The `error` member of an OAuth error body (RFC 6749 §5.2), if any. */
export function oauthError(res: HttpResponse): string | undefined {
  const error = (res.json as { error?: unknown } | undefined)?.error;
  return typeof error === 'string' ? error : undefined;
}

/** The parameters of an authorization response (RFC 6749 §4.1.2, §4.1.2.1; RFC 9207 §2): query, or fragment when the query has none. */
export function callbackParams(callback: URL): URLSearchParams {
  if (callback.searchParams.has('code') || callback.searchParams.has('error')) return callback.searchParams;
  return new URLSearchParams(callback.hash.replace(/^#/, ''));
}
