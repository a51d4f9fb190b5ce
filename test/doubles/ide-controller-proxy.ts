/**
 * A GitLab whose IDE controller (seed 000 option 3, POST /-/ide/code_suggestions/tokens) is
 * written independently of apps/gitlab (plain node:http): a loopback server in front of the
 * gitlab emulator that passes every other request through (sign-in, discovery, JWKS, the REST
 * API, the harness control API) and answers the controller's path itself. It learns whether a
 * session is live, and its CSRF token, by reading a signed-in page upstream as the session,
 * and gets the token the way a Rails controller would call a shared token class: from option
 * 2's endpoint upstream with that session. Variants the contract allows prove the scenario is
 * not tied to our controller; each defect proves a check catches it. Test-only; never shipped.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CONTROL_ROUTE, HEADER, PATH, SESSION_COOKIE, TRACESTATE_KEY, TRACE_HEADER, WEB_IDE_PATH, controlPath } from '#contracts';
import { listenOnLoopback, readBody, sendJson, type LoopbackServer } from '#common/testing/loopback';

/** Differences the contract allows: a correct controller may have any of them. */
export type IdeControllerVariant =
  /** 200 OK instead of 201 Created (a Rails `render json:` answers 200). */
  | 'answers-200'
  /** A CSRF failure answered 403 instead of Rails' 422. */
  | 'csrf-refused-403'
  /** GET at the path answered 404 (Rails: no route) instead of 405. */
  | 'get-404';

export type IdeControllerDefect =
  /** A session cookie is enough: the X-CSRF-Token is not compared. */
  | 'ignores-csrf'
  /** The JWT it signs has no exp. */
  | 'token-without-exp'
  /** The JWT it signs names another audience. */
  | 'wrong-audience'
  /** GET mints a token like POST (a cross-site image tag gets one). */
  | 'mints-on-get'
  /** The answer carries no Cache-Control. */
  | 'cacheable-answer';

export interface IdeControllerProxyOptions {
  /** The gitlab emulator everything else is passed to. */
  upstream: string;
  /** Its harness control token (to mint the defective tokens with its published key). */
  controlToken: string;
  variants?: IdeControllerVariant[];
  defects?: IdeControllerDefect[];
}

/** Headers of a hop, not of the message (RFC 9110 §7.6.1), and those fetch sets itself. */
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'host', 'content-length', 'te', 'trailer', 'proxy-connection']);

function forwardHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (!HOP.has(name) && value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

async function passThrough(upstream: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await readBody(req);
  const answer = await fetch(`${upstream}${req.url ?? '/'}`, { method: req.method ?? 'GET', headers: forwardHeaders(req), body, redirect: 'manual' });
  const headers: Record<string, string | string[]> = {};
  answer.headers.forEach((value, name) => {
    if (!HOP.has(name) && name !== 'set-cookie' && name !== 'content-encoding') headers[name] = value;
  });
  const cookies = answer.headers.getSetCookie();
  if (cookies.length) headers['set-cookie'] = cookies;
  res.writeHead(answer.status, headers).end(Buffer.from(await answer.arrayBuffer()));
}

function sessionCookie(req: IncomingMessage): string | undefined {
  const pair = (req.headers.cookie ?? '').split(';').map((p) => p.trim()).find((p) => p.startsWith(`${SESSION_COOKIE}=`));
  return pair && pair.length > SESSION_COOKIE.length + 1 ? pair : undefined;
}

/**
 * Trace headers of the double's own calls upstream (W3C Trace Context): the incoming trace under
 * a new parent id, and the sender named gitlab-saas, so the harness sees a call inside GitLab
 * (diagram step 8, GL->>GL) rather than an extra request from the IDE.
 */
function ownCallTrace(req: IncomingMessage): Record<string, string> {
  const m = /^00-([0-9a-f]{32})-[0-9a-f]{16}-([0-9a-f]{2})$/.exec(String(req.headers[TRACE_HEADER.TRACEPARENT] ?? '').trim());
  if (!m) return {};
  return { [TRACE_HEADER.TRACEPARENT]: `00-${m[1]}-${randomBytes(8).toString('hex')}-${m[2]}`, [TRACE_HEADER.TRACESTATE]: `${TRACESTATE_KEY}=gitlab-saas` };
}

/** The session's CSRF token, read from a signed-in page upstream; undefined when the cookie names no live session. */
async function csrfTokenOf(upstream: string, cookie: string, trace: Record<string, string>): Promise<string | undefined> {
  const page = await fetch(`${upstream}/`, { headers: { cookie, ...trace }, redirect: 'manual' });
  if (page.status !== 200) return undefined;
  return /<meta\s+name="csrf-token"\s+content="([^"]+)"/.exec(await page.text())?.[1];
}

export async function startIdeControllerProxy(options: IdeControllerProxyOptions): Promise<LoopbackServer> {
  const { upstream, controlToken } = options;
  const variants = new Set(options.variants ?? []);
  const defects = new Set(options.defects ?? []);

  async function mintDefective(change: Record<string, unknown>): Promise<string> {
    const res = await fetch(`${upstream}${controlPath(CONTROL_ROUTE.TOKENS)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [HEADER.HARNESS_CONTROL]: controlToken },
      body: JSON.stringify({ claims: change }),
    });
    return ((await res.json()) as { token: string }).token;
  }

  /** A JWT's `iat` (the double reads its own token; nothing is verified here). */
  const issuedAt = (token: string): unknown => (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { iat?: unknown }).iat;

  async function ideController(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const noStore: Record<string, string> = defects.has('cacheable-answer') ? {} : { 'cache-control': 'no-store' };
    if (req.method !== 'POST' && !(req.method === 'GET' && defects.has('mints-on-get'))) {
      if (variants.has('get-404')) return sendJson(res, 404, { message: '404 Not Found' });
      return sendJson(res, 405, { message: '405 Method Not Allowed' }, { allow: 'POST' });
    }
    const trace = ownCallTrace(req);
    const cookie = sessionCookie(req);
    const csrf = cookie && (await csrfTokenOf(upstream, cookie, trace));
    if (!cookie || !csrf) return sendJson(res, 401, { message: '401 Unauthorized' }, noStore);
    const presented = req.headers[HEADER.CSRF_TOKEN.toLowerCase()];
    if (presented !== csrf && !defects.has('ignores-csrf')) {
      return sendJson(res, variants.has('csrf-refused-403') ? 403 : 422, { message: variants.has('csrf-refused-403') ? '403 Forbidden' : '422 Unprocessable Entity' }, noStore);
    }
    const minted = await fetch(`${upstream}${PATH.GITLAB_CODE_SUGGESTIONS_TOKENS}`, { method: 'POST', headers: { cookie, [HEADER.CSRF_TOKEN]: csrf, ...trace } });
    const body = (await minted.json()) as Record<string, unknown>;
    if (!minted.ok) return sendJson(res, minted.status, body, noStore);
    if (defects.has('token-without-exp')) body.access_token = await mintDefective({ exp: null });
    if (defects.has('wrong-audience')) body.access_token = await mintDefective({ aud: 'gitlab-duo-chat' });
    // A token minted again may carry a later second than the answer it replaces: created_at
    // follows its iat, so the defect is the only thing wrong with the answer.
    if (defects.has('token-without-exp') || defects.has('wrong-audience')) body.created_at = issuedAt(body.access_token as string);
    sendJson(res, variants.has('answers-200') ? 200 : 201, body, noStore);
  }

  return listenOnLoopback((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const handle = path === WEB_IDE_PATH.TOKENS ? ideController(req, res) : passThrough(upstream, req, res);
    handle.catch((e: unknown) => sendJson(res, 502, { message: `double: ${e instanceof Error ? e.message : String(e)}` }));
  });
}
