import { OAUTH_PATH, USER_AGENT } from '#contracts';
import { BodyTooLargeError, jsonBoundsViolation, outboundTraceHeaders, readBoundedText, UNTRUSTED_JSON_BOUNDS } from '#common';
import type { Clock, FetchFn } from '../di.js';

/**
 * How the gateway asks GitLab about an opaque OAuth access token (AIGW_OAUTH_TOKEN_VERIFICATION):
 * - `token-info`: GET <GitLab>/oauth/token/info with the token as its Bearer credential, the
 *   endpoint GitLab serves (Doorkeeper's TokenInfoController, GitLab's Oauth::TokenInfoController);
 * - `introspection`: RFC 7662 POST <GitLab>/oauth/introspect with the gateway's own client
 *   credentials. GitLab has no such endpoint; an authorization server that has one (the
 *   emulator, Keycloak, oidc-provider) can be used instead.
 */
export const OAUTH_VERIFICATION_MODES = ['off', 'token-info', 'introspection'] as const;
export type OAuthVerificationMode = (typeof OAUTH_VERIFICATION_MODES)[number];

/** What GitLab said about a token. */
export type TokenState =
  | {
      active: true;
      /** The OAuth scopes granted to the token, as GitLab lists them. */
      scopes: readonly string[];
      /** When the token expires (clock ms), from `expires_in` counted from the request's start (or RFC 7662 `exp`); undefined: no expiry given. */
      expiresAt: number | undefined;
    }
  | {
      active: false;
      /** Why, for the log: GitLab's status or the introspection answer; never the token. */
      detail: string;
    };

/** Why the back channel gave no answer about the token: the token may be good, so it is never refused as invalid. */
export type BackChannelFailure = 'unreachable' | 'timeout' | 'redirect' | 'rate-limited' | 'http-status' | 'too-large' | 'not-json' | 'bad-answer';

export class BackChannelError extends Error {
  constructor(
    readonly failure: BackChannelFailure,
    message: string,
  ) {
    super(message);
    this.name = 'BackChannelError';
  }
}

export interface OAuthIntrospectionOptions {
  mode: Exclude<OAuthVerificationMode, 'off'>;
  /** GitLab's base URL, without a trailing '/'. */
  gitlabUrl: string;
  /** RFC 7662 §2.1: the protected resource authenticates to the introspection endpoint (client_secret_basic). */
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  /** Per request, headers and body together. */
  timeoutMs: number;
  /** Largest answer read, bytes; a larger one is a failure (`too-large`), never parsed. */
  maxBytes: number;
  fetch: FetchFn;
  clock: Clock;
}

/**
 * The gateway's one client of GitLab's OAuth token state. One request per call, with a timeout,
 * a body cap and JSON bounds, redirects never followed (a 3xx is a failure: the configured URL
 * is wrong, and a token must never be sent on to a URL GitLab names); every failure becomes a
 * BackChannelError whose message names the URL and the cause, never the token or a body.
 *
 * Token info: 200 -> active with `scopes` (GitLab's copy; Doorkeeper's `scope` if absent) and
 * `expires_in_seconds`/`expires_in` (null: no expiry); 400 or 401 -> not active (GitLab answers
 * a missing, unknown, revoked or expired token with Doorkeeper's InvalidTokenResponse, 401
 * `invalid_token`; older GitLab 400 `invalid_request`: contracts TOKEN_INFO_INVALID), and so
 * every 4xx but 429; 429 and 5xx -> failure (GitLab is rate limiting or failing; the token may
 * be good). Introspection: only a 200 answers (RFC 7662 §2.2: an invalid token is
 * `{"active": false}`); any other status means the gateway's own request was refused, a failure.
 */
export class OAuthTokenIntrospection {
  readonly url: string;
  private readonly closing = new AbortController();

  constructor(private readonly options: OAuthIntrospectionOptions) {
    this.url = `${options.gitlabUrl}${options.mode === 'token-info' ? OAUTH_PATH.TOKEN_INFO : OAUTH_PATH.INTROSPECT}`;
  }

  /** What GitLab says of `token` now. Throws BackChannelError when it says nothing usable. */
  async stateOf(token: string): Promise<TokenState> {
    const startedAt = this.options.clock();
    const response = await this.send(token);
    const status = response.status;
    if (this.options.mode === 'token-info' && status >= 400 && status < 500 && status !== 429) {
      await discard(response);
      return { active: false, detail: `${OAUTH_PATH.TOKEN_INFO} answered HTTP ${status}` };
    }
    if (status >= 300 && status < 400) {
      await discard(response);
      throw new BackChannelError('redirect', `${this.url} answered HTTP ${status} (a redirect, not followed): AIGW_OAUTH_GITLAB_URL must name GitLab itself`);
    }
    if (status === 429) {
      await discard(response);
      throw new BackChannelError('rate-limited', `${this.url} answered HTTP 429 (GitLab rate limits the gateway)`);
    }
    if (status !== 200) {
      await discard(response);
      throw new BackChannelError('http-status', `${this.url} answered HTTP ${status}`);
    }
    const body = await this.json(response);
    return this.options.mode === 'token-info' ? tokenInfoState(body, startedAt, this.url) : introspectionState(body, this.url);
  }

  /** Aborts every call in flight (app shutdown); they end as failures. */
  close(): void {
    this.closing.abort();
  }

  private async send(token: string): Promise<Response> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const signal = AbortSignal.any([timeout, this.closing.signal]);
    const headers: Record<string, string> = { 'user-agent': USER_AGENT.GATEWAY, accept: 'application/json', ...outboundTraceHeaders('ai-gateway') };
    const init: RequestInit = { signal, redirect: 'manual', headers };
    if (this.options.mode === 'token-info') {
      headers.authorization = `Bearer ${token}`;
      init.method = 'GET';
    } else {
      // RFC 6749 §2.3.1: client_id and secret form-urlencoded before Base64.
      const basic = Buffer.from(`${encodeURIComponent(this.options.clientId ?? '')}:${encodeURIComponent(this.options.clientSecret ?? '')}`).toString('base64');
      headers.authorization = `Basic ${basic}`;
      headers['content-type'] = 'application/x-www-form-urlencoded';
      init.method = 'POST';
      init.body = new URLSearchParams({ token, token_type_hint: 'access_token' }).toString();
    }
    try {
      return await this.options.fetch(this.url, init);
    } catch (e) {
      throw this.transportError(e, timeout);
    }
  }

  private async json(response: Response): Promise<Record<string, unknown>> {
    let text: string;
    try {
      text = await readBoundedText(response, this.options.maxBytes);
    } catch (e) {
      if (e instanceof BodyTooLargeError) throw new BackChannelError('too-large', `${this.url} sent a body over ${e.limitBytes} bytes (AIGW_OAUTH_MAX_BYTES)`);
      throw this.transportError(e);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new BackChannelError('not-json', `${this.url} did not return JSON`);
    }
    const violation = jsonBoundsViolation(body, UNTRUSTED_JSON_BOUNDS);
    if (violation) throw new BackChannelError('not-json', `${this.url} returned JSON that ${violation}`);
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new BackChannelError('bad-answer', `${this.url} did not return a JSON object`);
    return body as Record<string, unknown>;
  }

  private transportError(e: unknown, timeout?: AbortSignal): BackChannelError {
    if (timeout?.aborted || (e as Error)?.name === 'TimeoutError') return new BackChannelError('timeout', `${this.url} did not answer within ${this.options.timeoutMs} ms`);
    const cause = (e as { cause?: { code?: unknown } })?.cause?.code;
    const message = e instanceof Error ? e.message : String(e);
    return new BackChannelError('unreachable', `${this.url} unreachable: ${message}${typeof cause === 'string' ? ` (${cause})` : ''}`);
  }
}

async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

/**
 * GET /oauth/token/info's 200 body (contracts OAuthTokenInfo): GitLab's `scopes` (else
 * Doorkeeper's `scope`) must be an array of strings; `expires_in_seconds` (else `expires_in`)
 * a number of seconds left or null. A token with no time left is not active.
 */
function tokenInfoState(body: Record<string, unknown>, startedAt: number, url: string): TokenState {
  const scopes = body.scopes ?? body.scope;
  if (!isStringArray(scopes)) throw new BackChannelError('bad-answer', `${url} answered 200 without a scopes array of strings`);
  const left = body.expires_in_seconds ?? body.expires_in;
  if (left !== null && left !== undefined && !(typeof left === 'number' && Number.isFinite(left))) {
    throw new BackChannelError('bad-answer', `${url} answered 200 with an expires_in that is not a number of seconds or null`);
  }
  if (typeof left === 'number' && left <= 0) return { active: false, detail: `${OAUTH_PATH.TOKEN_INFO} answered 200 with expires_in ${left}` };
  // Counted from the request's start, not its end: the entry never outlives the token.
  return { active: true, scopes, expiresAt: typeof left === 'number' ? startedAt + left * 1000 : undefined };
}

/**
 * RFC 7662 §2.2: `active` (required boolean); `scope` a space-separated string (§2.2 and RFC
 * 6749 §3.3); `exp` epoch seconds. A refresh token is never accepted as an access token.
 */
function introspectionState(body: Record<string, unknown>, url: string): TokenState {
  if (typeof body.active !== 'boolean') throw new BackChannelError('bad-answer', `${url} answered 200 without a boolean active member (RFC 7662 §2.2)`);
  if (!body.active) return { active: false, detail: 'introspection answered active: false' };
  if (typeof body.token_type === 'string' && /^refresh[_ ]?token$/i.test(body.token_type)) return { active: false, detail: 'introspection names a refresh token' };
  const { scope, exp } = body;
  if (scope !== undefined && typeof scope !== 'string') throw new BackChannelError('bad-answer', `${url} answered a scope that is not a space-separated string`);
  if (exp !== undefined && !(typeof exp === 'number' && Number.isFinite(exp))) throw new BackChannelError('bad-answer', `${url} answered an exp that is not a number`);
  return { active: true, scopes: scope === undefined ? [] : scope.split(' ').filter(Boolean), expiresAt: exp === undefined ? undefined : exp * 1000 };
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}
