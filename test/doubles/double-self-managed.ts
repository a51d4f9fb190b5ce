/**
 * A self-managed GitLab written independently of apps/gitlab (plain node:http), serving what
 * the sm-relay scenario calls on gitlab-sm: PAT authentication, the admin's application
 * settings, POST /api/v4/code_suggestions/tokens relayed to SaaS with the stored service
 * token (seed 001), and the harness control API the scenario needs (relay target, request
 * log). It proves the scenario certifies a relay it has never seen when correct, and catches
 * each switchable defect below. Test-only; never shipped.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listenOnLoopback, sendJson, type LoopbackServer } from '#common/testing/loopback';
import {
  CODE_SUGGESTIONS_TOKEN_SCOPES,
  GITLAB_ERROR,
  HEADER,
  PATH,
  REDACTED,
  USER_AGENT,
  demoInstance,
  readDemoFixture,
  insufficientScopeError,
  type DemoInstance,
  type DemoPersonalAccessToken,
  type DemoUser,
  type LoggedRequest,
} from '#contracts';

export type SelfManagedDefect =
  /** Relay failure bodies quote the stored service access token. */
  | 'echo-stored-token-on-failure'
  /** The relay waits for SaaS forever (no timeout at all). */
  | 'no-relay-timeout'
  /** The relay ignores the configured timeout_ms and gives up after its own, much longer one. */
  | 'ignore-configured-timeout'
  /** SaaS's 5xx (status, HTML body) reaches the IDE as it is. */
  | 'pass-through-saas-5xx'
  /** A 2xx from SaaS reaches the IDE whatever its body. */
  | 'pass-through-malformed-token-response'
  /** SaaS's token answer is checked with a closed schema: an extra member makes it "malformed" (502). */
  | 'closed-schema-for-saas-answers'
  /** SaaS's WWW-Authenticate reaches the IDE as it came, even when it quotes the stored token. */
  | 'passes-saas-headers-verbatim'
  /** The relay runs although the admin turned code suggestions off. */
  | 'ignore-code-suggestions-setting'
  /** The relay sends Node's User-Agent, so SaaS does not know the request was relayed. */
  | 'relay-without-workhorse-user-agent'
  /** Any authenticated user may change the application settings. */
  | 'settings-writable-by-anyone'
  /** The settings answers include the stored token. */
  | 'returns-stored-token-in-settings'
  /** Each relay's log line quotes the stored token ("for debugging"). */
  | 'log-stored-token';

export interface DoubleSelfManagedOptions {
  /** SaaS base URL the relay goes to (until the control API points it elsewhere). */
  saasUrl: string;
  /** Value X-Harness-Control-Token must carry on /-/harness/* calls. */
  controlToken: string;
  defects?: SelfManagedDefect[];
  /** Bound on one relay to SaaS (default 5000 ms). */
  timeoutMs?: number;
  /** One line per relay. */
  log?: (line: string) => void;
  /**
   * Behave as if the instance ran in a container: 127.0.0.1 is its own loopback, so a relay
   * pointed at any loopback URL but its configured SaaS finds nothing listening there.
   */
  inContainer?: boolean;
}

export type DoubleSelfManaged = LoopbackServer;

/** What the relay sends SaaS: Workhorse's send_url is how SaaS recognises a relayed request. */
const WORKHORSE_USER_AGENT = `${USER_AGENT.RELAY_PREFIX} (double)`;
/** How long the defect 'ignore-configured-timeout' waits: past the scenario's bound, before the harness gives up. */
const OWN_TIMEOUT_MS = 4500;
const MAX_BODY_BYTES = 64 * 1024;
const NOT_FOUND = GITLAB_ERROR.NOT_FOUND;

interface Account {
  user: DemoUser;
  pat: DemoPersonalAccessToken;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

/** The self-managed section of the demo fixture: users with their PATs, and the initial settings. */
function readSelfManagedFixture(): DemoInstance {
  return demoInstance(readDemoFixture(), 'self-managed');
}

function usable(pat: DemoPersonalAccessToken): boolean {
  return !pat.revoked && !(pat.expires_at && Date.parse(pat.expires_at) < Date.now());
}

const TOKEN_RESPONSE_MEMBERS = ['access_token', 'expires_in', 'created_at'];

/**
 * A body the IDE can take as a JWT response: three base64url segments, lifetime and creation
 * time. Open: members SaaS adds (token_type, ...) are allowed and passed on; `closed` refuses them.
 */
function isTokenResponse(value: unknown, closed: boolean): boolean {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.access_token === 'string' &&
    /^[\w-]+\.[\w-]+\.[\w-]+$/.test(v.access_token) &&
    Number.isInteger(v.expires_in) &&
    (v.expires_in as number) > 0 &&
    Number.isInteger(v.created_at) &&
    (!closed || Object.keys(v).every((k) => TOKEN_RESPONSE_MEMBERS.includes(k)))
  );
}

/**
 * The text with the stored token replaced by [REDACTED], as sent and as it would appear
 * percent-encoded or JSON-escaped. Text without it comes back unchanged (byte for byte);
 * [REDACTED] needs no JSON escaping, so a JSON body stays JSON.
 */
function withoutSecret(text: string, secret: string): string {
  const forms = new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]);
  let out = text;
  for (const form of forms) out = out.split(form).join(REDACTED);
  return out;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, { message: '413 Request Entity Too Large' });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = await readBody(req);
  if (!text.trim()) return {};
  const value = parseJson(text);
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new HttpError(400, { error: 'the body must be a JSON object' });
  return value as Record<string, unknown>;
}

function sendRaw(res: ServerResponse, status: number, text: string, contentType: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': contentType }).end(text);
}

function statusLine(status: number): string {
  return `${status} ${status === 502 ? 'Bad Gateway' : status === 503 ? 'Service Unavailable' : status === 504 ? 'Gateway Timeout' : 'Error'}`;
}

export async function startDoubleSelfManaged(options: DoubleSelfManagedOptions): Promise<DoubleSelfManaged> {
  const defects = new Set(options.defects ?? []);
  const log = options.log ?? (() => undefined);
  const fixture = readSelfManagedFixture();
  const accounts = new Map<string, Account>();
  for (const user of fixture.users) for (const pat of user.personal_access_tokens ?? []) accounts.set(pat.token, { user, pat });

  const initialSettings = () => ({
    codeSuggestionsEnabled: fixture.settings?.code_suggestions_enabled ?? false,
    aiAccessToken: fixture.settings?.ai_access_token ?? null,
  });
  const defaultRelay = { saasUrl: options.saasUrl.replace(/\/+$/, ''), timeoutMs: options.timeoutMs ?? 5000 };
  let settings = initialSettings();
  let relay = { ...defaultRelay };
  const requests: LoggedRequest[] = [];

  function authenticate(req: IncomingMessage): Account {
    const authorization = req.headers.authorization;
    const bearer = authorization ? /^bearer\s+(\S+)$/i.exec(authorization)?.[1] : undefined;
    const privateToken = req.headers[HEADER.PRIVATE_TOKEN.toLowerCase()];
    const token = bearer ?? (typeof privateToken === 'string' ? privateToken : undefined);
    const account = token ? accounts.get(token) : undefined;
    if (!account || !usable(account.pat)) throw new HttpError(401, GITLAB_ERROR.UNAUTHORIZED);
    return account;
  }

  function requireScope(account: Account, accepted: readonly string[]): void {
    if (!account.pat.scopes.some((s) => accepted.includes(s))) throw new HttpError(403, insufficientScopeError(accepted));
  }

  function settingsView(): Record<string, unknown> {
    const view: Record<string, unknown> = {
      code_suggestions_enabled: settings.codeSuggestionsEnabled,
      ai_access_token_set: settings.aiAccessToken !== null,
    };
    if (defects.has('returns-stored-token-in-settings')) view.ai_access_token = settings.aiAccessToken;
    return view;
  }

  async function applicationSettings(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const account = authenticate(req);
    const mayChange = account.user.admin === true && account.pat.scopes.includes('api');
    if (req.method === 'GET') {
      if (!mayChange) throw new HttpError(403, GITLAB_ERROR.FORBIDDEN);
      return sendJson(res, 200, settingsView());
    }
    if (!mayChange && !defects.has('settings-writable-by-anyone')) throw new HttpError(403, GITLAB_ERROR.FORBIDDEN);
    const body = await readJsonObject(req);
    const token = body.ai_access_token;
    const enabled = body.code_suggestions_enabled;
    if (token !== undefined && token !== null && (typeof token !== 'string' || !token.length)) {
      throw new HttpError(400, { error: 'ai_access_token is invalid' });
    }
    if (enabled !== undefined && typeof enabled !== 'boolean') throw new HttpError(400, { error: 'code_suggestions_enabled is invalid' });
    if (token !== undefined) settings.aiAccessToken = token as string | null;
    if (enabled !== undefined) settings.codeSuggestionsEnabled = enabled;
    sendJson(res, 200, settingsView());
  }

  /**
   * What the IDE gets for one relay: SaaS's token answer or client error as it came (the stored
   * token scrubbed out of it), or a bounded error of ours.
   */
  async function relayToSaas(stored: string): Promise<{ status: number; text: string; contentType: string; headers: Record<string, string>; outcome: string }> {
    const { saasUrl, timeoutMs } = relay;
    const failure = (status: number, message: string, outcome: string) => ({
      status,
      text: JSON.stringify({ message: defects.has('echo-stored-token-on-failure') ? `${message} (relayed with ${stored})` : message }),
      contentType: 'application/json',
      headers: {},
      outcome,
    });
    const limit = defects.has('ignore-configured-timeout') ? OWN_TIMEOUT_MS : timeoutMs;
    const signal = defects.has('no-relay-timeout') ? undefined : AbortSignal.timeout(limit);
    let response: Response;
    let text: string;
    if (options.inContainer && saasUrl !== options.saasUrl && new URL(saasUrl).hostname === '127.0.0.1') {
      return failure(502, `${statusLine(502)} - SaaS at ${saasUrl} could not be reached`, 'unreachable');
    }
    try {
      response = await fetch(`${saasUrl}${PATH.GITLAB_CODE_SUGGESTIONS_TOKENS}`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${stored}`,
          'User-Agent': defects.has('relay-without-workhorse-user-agent') ? 'node' : WORKHORSE_USER_AGENT,
          'Content-Type': 'application/json',
          Accept: 'application/json',
        },
        redirect: 'manual',
        ...(signal ? { signal } : {}),
      });
      text = await response.text();
    } catch (e) {
      if (signal?.aborted || (e as Error).name === 'TimeoutError') {
        return failure(504, `${statusLine(504)} - SaaS did not answer within ${limit} ms`, 'timeout');
      }
      return failure(502, `${statusLine(502)} - SaaS at ${saasUrl} could not be reached`, 'unreachable');
    }
    const status = response.status;
    const contentType = response.headers.get('content-type') ?? 'application/octet-stream';
    const json = parseJson(text);
    // What SaaS sent is passed on as it came, but never with the stored token in it (SaaS may echo it).
    const passed = withoutSecret(text, stored);
    if (status >= 200 && status < 300) {
      if (isTokenResponse(json, defects.has('closed-schema-for-saas-answers')) || defects.has('pass-through-malformed-token-response')) {
        return { status, text: passed, contentType, headers: {}, outcome: 'token' };
      }
      return failure(502, `${statusLine(502)} - SaaS answered ${status} without a token response`, 'malformed');
    }
    if (status >= 400 && status < 500) {
      const challenge = response.headers.get('www-authenticate');
      const headers: Record<string, string> = {};
      if (challenge) headers['www-authenticate'] = defects.has('passes-saas-headers-verbatim') ? challenge : withoutSecret(challenge, stored);
      if (json && typeof json === 'object') return { status, text: passed, contentType: 'application/json', headers, outcome: 'saas-client-error' };
      return { ...failure(status, `${status} - SaaS answered ${status} without a JSON body`, 'saas-client-error'), headers };
    }
    if (status >= 500 && defects.has('pass-through-saas-5xx')) return { status, text, contentType, headers: {}, outcome: 'saas-error' };
    const ours = status === 503 ? 503 : 502;
    return failure(ours, `${statusLine(ours)} - SaaS answered ${status}`, 'saas-error');
  }

  async function codeSuggestionsTokens(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const account = authenticate(req);
    requireScope(account, CODE_SUGGESTIONS_TOKEN_SCOPES);
    await readBody(req);
    const stored = settings.aiAccessToken;
    if ((!settings.codeSuggestionsEnabled && !defects.has('ignore-code-suggestions-setting')) || !stored) throw new HttpError(404, NOT_FOUND);
    const started = Date.now();
    const answer = await relayToSaas(stored);
    const withToken = defects.has('log-stored-token') ? ` with token ${stored}` : '';
    log(`relay for ${account.user.username}${withToken}: POST ${relay.saasUrl}${PATH.GITLAB_CODE_SUGGESTIONS_TOKENS} -> ${answer.status} (${answer.outcome}) in ${Date.now() - started} ms`);
    if (res.headersSent || res.destroyed) return;
    res.writeHead(answer.status, { 'content-type': answer.contentType, ...answer.headers }).end(answer.text);
  }

  async function control(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
    if (req.headers[HEADER.HARNESS_CONTROL.toLowerCase()] !== options.controlToken) throw new HttpError(401, GITLAB_ERROR.UNAUTHORIZED);
    const describe = () => ({ saas_url: relay.saasUrl, timeout_ms: relay.timeoutMs });
    if (path === `${PATH.HARNESS_CONTROL_PREFIX}/relay` && req.method === 'GET') return sendJson(res, 200, describe());
    if (path === `${PATH.HARNESS_CONTROL_PREFIX}/relay` && req.method === 'PUT') {
      const body = await readJsonObject(req);
      const { saas_url: url, timeout_ms: timeout } = body;
      if (url !== undefined && (typeof url !== 'string' || !/^https?:\/\/[^/]+/.test(url))) throw new HttpError(400, { error: 'saas_url must be an http(s) URL' });
      if (timeout !== undefined && (!Number.isInteger(timeout) || (timeout as number) < 1)) throw new HttpError(400, { error: 'timeout_ms must be a positive integer' });
      relay = { saasUrl: url !== undefined ? (url as string).replace(/\/+$/, '') : relay.saasUrl, timeoutMs: (timeout as number | undefined) ?? relay.timeoutMs };
      return sendJson(res, 200, describe());
    }
    if (path === `${PATH.HARNESS_CONTROL_PREFIX}/requests` && req.method === 'GET') {
      const since = query.get('since');
      const prefix = query.get('path');
      const sinceMs = since ? Date.parse(since) : Number.NEGATIVE_INFINITY;
      return sendJson(res, 200, { requests: requests.filter((r) => Date.parse(r.at) >= sinceMs && (!prefix || r.path.startsWith(prefix))) });
    }
    if (path === `${PATH.HARNESS_CONTROL_PREFIX}/reset` && req.method === 'POST') {
      settings = initialSettings();
      relay = { ...defaultRelay };
      res.writeHead(204).end();
      return;
    }
    throw new HttpError(404, NOT_FOUND);
  }

  async function route(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
    if (path.startsWith(`${PATH.HARNESS_CONTROL_PREFIX}/`)) return control(req, res, path, query);
    if (path === PATH.GITLAB_HEALTH && req.method === 'GET') return sendRaw(res, 200, 'GitLab OK', 'text/plain; charset=utf-8');
    if (path === PATH.GITLAB_USER && req.method === 'GET') {
      const account = authenticate(req);
      requireScope(account, ['api', 'read_api', 'read_user']);
      const { id, username, name } = account.user;
      return sendJson(res, 200, { id, username, name: name ?? username, state: 'active' });
    }
    if (path === PATH.GITLAB_PAT_SELF && req.method === 'GET') {
      const { user, pat } = authenticate(req);
      return sendJson(res, 200, { name: pat.name, revoked: false, active: true, scopes: pat.scopes, user_id: user.id, expires_at: pat.expires_at ?? null });
    }
    if (path === PATH.GITLAB_APPLICATION_SETTINGS && (req.method === 'GET' || req.method === 'PUT')) return applicationSettings(req, res);
    if (path === PATH.GITLAB_CODE_SUGGESTIONS_TOKENS && req.method === 'POST') return codeSuggestionsTokens(req, res);
    throw new HttpError(404, NOT_FOUND);
  }

  return listenOnLoopback((req, res) => {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'http://double');
    res.once('finish', () => {
      if (url.pathname.startsWith(PATH.HARNESS_CONTROL_PREFIX)) return;
      const entry: LoggedRequest = { at: new Date().toISOString(), method: req.method ?? '', path: url.pathname, status: res.statusCode, durationMs: Date.now() - started };
      const userAgent = req.headers['user-agent'];
      if (userAgent) entry.userAgent = userAgent;
      requests.push(entry);
    });
    route(req, res, url.pathname, url.searchParams).catch((e: unknown) => {
      if (e instanceof HttpError) return sendJson(res, e.status, e.body);
      sendJson(res, 500, { message: '500 Internal Server Error' });
    });
  });
}
