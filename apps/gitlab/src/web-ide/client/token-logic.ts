/**
 * The Web IDE's token logic that runs in the browser, written as self-contained functions so
 * they are type-checked and unit-tested here and then embedded in the page scripts by their
 * source text (browser-scripts.ts). Each function may use only its parameters and what both
 * Node and browsers provide (atob, TextDecoder, JSON): no imports, no other function of this
 * module.
 */

/** One claim -> header binding, as contracts' INSTANCE_TOKEN_BINDINGS / USER_TOKEN_BINDINGS list them. */
export interface BindingData {
  claim: string;
  header: string;
}

/** The gateway's binding tables, passed to the browser as data (contracts headerBindingsFor). */
export interface BindingTable {
  /** The gateway's own issuer (GATEWAY_SELF_ISSUER): its tokens bind `sub` to the user header. */
  selfIssuer: string;
  instance: readonly BindingData[];
  user: readonly BindingData[];
}

/** A token as the host page hands it to the editor frame. */
export interface HeldToken {
  accessToken: string;
  /** Epoch seconds, by the browser's clock. */
  expiresAt: number;
  /** Headers to send with the token to the AI gateway. */
  headers: Record<string, string>;
}

/**
 * contracts `boundHeaderValues`, for the browser: the headers the AI gateway binds to the
 * token's claims (ai_gateway cloud_connector/auth.py L98-121 @823ced4678f5): for each binding
 * of the token's issuer, a non-empty string claim gives its header, the first claim of a
 * header winning.
 */
export function boundHeaders(claims: Readonly<Record<string, unknown>>, table: BindingTable): Record<string, string> {
  const bindings = claims.iss === table.selfIssuer ? table.user : table.instance;
  const headers: Record<string, string> = {};
  for (const { claim, header } of bindings) {
    const value = claims[claim];
    if (typeof value === 'string' && value !== '' && headers[header] === undefined) headers[header] = value;
  }
  return headers;
}

/** The claims of a JWT (the holder may read its payload), or undefined when `token` is not a JWT with a JSON object payload. */
export function jwtClaims(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !/^[A-Za-z0-9_-]+$/.test(parts[1] ?? '')) return undefined;
  try {
    const binary = atob((parts[1] ?? '').replace(/-/g, '+').replace(/_/g, '/'));
    const json = new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
    const claims: unknown = JSON.parse(json);
    return claims !== null && typeof claims === 'object' && !Array.isArray(claims) ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The token of a 201 from POST /api/v4/code_suggestions/tokens or POST
 * /-/ide/code_suggestions/tokens (`{access_token, expires_in, created_at}`), or why there is
 * none: GitLab's `message` (or OAuth's `error`) with the status.
 */
export function tokenFromResponse(status: number, body: unknown): { accessToken: string; expiresIn: number } | { error: string } {
  const b = body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  if (status !== 201 && status !== 200) {
    const reason = typeof b.message === 'string' ? b.message : typeof b.error === 'string' ? b.error : '';
    return { error: reason ? `${status}: ${reason}` : `${status}` };
  }
  if (typeof b.access_token !== 'string' || b.access_token === '') return { error: `${status} without an access_token` };
  if (typeof b.expires_in !== 'number' || !Number.isFinite(b.expires_in) || b.expires_in <= 0) return { error: `${status} without a positive expires_in` };
  return { accessToken: b.access_token, expiresIn: b.expires_in };
}

/** Whether the editor must ask for a new token before its next call: none held, or it expires within `marginSeconds` of `nowMs`. */
export function needsNewToken(held: { expiresAt: number } | undefined, nowMs: number, marginSeconds: number): boolean {
  return held === undefined || held.expiresAt - marginSeconds <= nowMs / 1000;
}

/** A host -> frame message answering request `id`, validated: a token, an error, or undefined for anything else. */
export function tokenReply(data: unknown, types: { token: string; error: string }): { id: number; token: HeldToken } | { id: number; error: string } | undefined {
  if (data === null || typeof data !== 'object') return undefined;
  const m = data as Record<string, unknown>;
  if (typeof m.id !== 'number') return undefined;
  if (m.type === types.error) return { id: m.id, error: typeof m.message === 'string' ? m.message : 'the Web IDE page could not get a token' };
  if (m.type !== types.token || typeof m.accessToken !== 'string' || typeof m.expiresAt !== 'number') return undefined;
  const headers: Record<string, string> = {};
  if (m.headers !== null && typeof m.headers === 'object') {
    for (const [name, value] of Object.entries(m.headers as Record<string, unknown>)) if (typeof value === 'string') headers[name] = value;
  }
  return { id: m.id, token: { accessToken: m.accessToken, expiresAt: m.expiresAt, headers } };
}

/** Option 1's tokens as the Web IDE keeps them on the client side (seed 000: "Web IDE stores both tokens"). */
export interface OAuthTokenSet {
  accessToken: string;
  /** Absent when the server issued none; then an expired access token means a new authorization. */
  refreshToken?: string;
  /** Epoch seconds, by the browser's clock. */
  expiresAt: number;
}

/**
 * The tokens of a 200 from the token endpoint (RFC 6749 §5.1: `access_token`, `token_type`
 * Bearer compared case-insensitively, `expires_in`, `refresh_token`), or why there are none:
 * the OAuth `error` (and `error_description`, §5.2) with the status. A refresh answer without a
 * new refresh token keeps `previousRefreshToken` (RFC 6749 §6).
 */
export function oauthTokenSet(status: number, body: unknown, nowMs: number, previousRefreshToken?: string): OAuthTokenSet | { error: string } {
  const b = body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  if (status !== 200) {
    const reason = typeof b.error === 'string' ? b.error + (typeof b.error_description === 'string' ? ' (' + b.error_description + ')' : '') : '';
    return { error: reason ? status + ': ' + reason : String(status) };
  }
  if (typeof b.access_token !== 'string' || b.access_token === '') return { error: '200 without an access_token' };
  if (typeof b.token_type !== 'string' || b.token_type.toLowerCase() !== 'bearer') return { error: 'token_type is not Bearer' };
  if (typeof b.expires_in !== 'number' || !Number.isFinite(b.expires_in) || b.expires_in <= 0) return { error: '200 without a positive expires_in' };
  const refreshToken = typeof b.refresh_token === 'string' && b.refresh_token !== '' ? b.refresh_token : previousRefreshToken;
  return { accessToken: b.access_token, ...(refreshToken ? { refreshToken } : {}), expiresAt: Math.floor(nowMs / 1000) + b.expires_in };
}

/**
 * The authorization response at the redirect URI (RFC 6749 §4.1.2, §4.1.2.1), checked as a
 * client must: `state` equal to the one sent (§10.12), `iss` equal to the server's issuer
 * (RFC 9207 §2.4: the server advertises it, so it must be there), then `code` or `error`.
 */
export function authorizationResponse(search: string, expected: { state: string; issuer: string }): { code: string } | { error: string } {
  const params = new URLSearchParams(search);
  if (params.get('state') !== expected.state) return { error: 'the state in the answer is not the one sent (a forged or stale redirect)' };
  if (params.get('iss') !== expected.issuer) return { error: 'iss ' + JSON.stringify(params.get('iss')) + ' is not the issuer ' + expected.issuer + ' (RFC 9207)' };
  const error = params.get('error');
  if (error !== null) return { error: error + (params.get('error_description') ? ' (' + params.get('error_description') + ')' : '') };
  const code = params.get('code');
  return code ? { code } : { error: 'the answer has neither code nor error' };
}

/** base64url without padding (RFC 4648 §5) of `bytes`: PKCE's verifier and challenge (RFC 7636 §4.1-4.2). */
export function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
