/**
 * An OAuth authorization server with chosen defects (oauth-pkce-webide's doubles): a loopback
 * proxy (plain node:http) in front of the gitlab emulator's authorization server that passes
 * everything through, redirects included (their upstream origin rewritten to the proxy's, so
 * the browser stays on it; the Web IDE's own callback under the issuer is left as it is), and
 * breaks one rule per defect. With no defect it must pass every check the emulator passes:
 * the proxy is transparent. Test-only; never shipped.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { OAUTH_PATH } from '#contracts';
import { listenOnLoopback, readBody, sendJson, type LoopbackServer } from '#common/testing/loopback';

export type OAuthDefect =
  /** code_challenge_method=plain is taken: the challenge is rewritten to S256 of itself upstream, and the metadata lists plain. */
  | 'accepts-plain-pkce'
  /** The authorization response carries no iss (RFC 9207), success or error. */
  | 'no-iss'
  /** A code exchanged again gets the first exchange's answer once more; the first tokens stay valid. */
  | 'replayable-codes'
  /** Registration (RFC 7591) takes any redirect URI: one with a fragment or on http off loopback is registered in a loopback URI's place, and echoed as sent. */
  | 'accept-any-redirect-uri'
  /** A refresh answers with the refresh token it was given (the upstream's rotated one kept behind it), so the client's refresh token never changes and stays usable. */
  | 'no-refresh-rotation';

export interface OAuthDefectProxyOptions {
  /** The gitlab emulator (its URL is the issuer). */
  upstream: string;
  defects?: OAuthDefect[];
}

/** Headers of a hop, not of the message (RFC 9110 §7.6.1), and those fetch sets itself. */
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'host', 'content-length', 'te', 'trailer', 'proxy-connection', 'content-encoding']);

interface Upstream {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

export async function startOAuthDefectProxy(options: OAuthDefectProxyOptions): Promise<LoopbackServer> {
  const { upstream } = options;
  const defects = new Set(options.defects ?? []);
  /** replayable-codes: the first answer to each code. */
  const answered = new Map<string, Upstream>();
  /** no-refresh-rotation: the refresh token the client holds -> the upstream's current one. */
  const kept = new Map<string, string>();

  /** no-refresh-rotation: a refresh or revocation sends the upstream's current token in place of the one the client holds. */
  function keepRefreshTokens(path: string | undefined, body: string): { body: string; presented?: string } | undefined {
    const form = new URLSearchParams(body);
    const isRefresh = path === OAUTH_PATH.TOKEN && form.get('grant_type') === 'refresh_token';
    const name = isRefresh ? 'refresh_token' : path === OAUTH_PATH.REVOKE ? 'token' : undefined;
    const presented = name ? form.get(name) : null;
    if (!name || !presented) return undefined;
    form.set(name, kept.get(presented) ?? presented);
    return { body: form.toString(), ...(isRefresh ? { presented } : {}) };
  }
  let self = '';

  async function forward(req: IncomingMessage, url: string, body: string | undefined): Promise<Upstream> {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) if (!HOP.has(name) && value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    const answer = await fetch(`${upstream}${url}`, { method: req.method ?? 'GET', headers, body, redirect: 'manual' });
    const out: Record<string, string | string[]> = {};
    answer.headers.forEach((value, name) => {
      if (!HOP.has(name) && name !== 'set-cookie') out[name] = value;
    });
    const cookies = answer.headers.getSetCookie();
    if (cookies.length) out['set-cookie'] = cookies;
    return { status: answer.status, headers: out, body: Buffer.from(await answer.arrayBuffer()) };
  }

  /** Redirects stay on the proxy, but for the Web IDE's callback (the client's redirect URI under the issuer). */
  function relocate(location: string): string {
    let target: URL;
    try {
      target = new URL(location, upstream);
    } catch {
      return location;
    }
    if (defects.has('no-iss')) target.searchParams.delete('iss');
    if (target.origin !== new URL(upstream).origin || target.pathname === OAUTH_PATH.IDE_CALLBACK) return target.href;
    return `${self}${target.pathname}${target.search}`;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url = req.url ?? '/';
    const path = url.split('?')[0];
    const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await readBody(req);

    if (defects.has('accepts-plain-pkce') && path === OAUTH_PATH.AUTHORIZE) {
      const u = new URL(url, upstream);
      const challenge = u.searchParams.get('code_challenge');
      if (u.searchParams.get('code_challenge_method') === 'plain' && challenge) {
        // S256 of the plain challenge: the client's verifier (= the challenge) then matches upstream.
        u.searchParams.set('code_challenge', createHash('sha256').update(challenge).digest('base64url'));
        u.searchParams.set('code_challenge_method', 'S256');
        url = `${u.pathname}${u.search}`;
      }
    }
    const registering = defects.has('accept-any-redirect-uri') && req.method === 'POST' && path === OAUTH_PATH.REGISTER && body ? acceptAnyRedirectUri(body) : undefined;
    let sent = registering?.body ?? body;
    const rotation = defects.has('no-refresh-rotation') && sent ? keepRefreshTokens(path, sent) : undefined;
    sent = rotation?.body ?? sent;
    const code = path === OAUTH_PATH.TOKEN && body ? new URLSearchParams(body) : undefined;
    const replayKey = defects.has('replayable-codes') && code?.get('grant_type') === 'authorization_code' ? code.get('code') : null;
    const earlier = replayKey ? answered.get(replayKey) : undefined;
    const answer = earlier ?? (await forward(req, url, sent));
    if (replayKey && !earlier && answer.status === 200) answered.set(replayKey, answer);

    let payload = answer.body;
    if (defects.has('accepts-plain-pkce') && path === OAUTH_PATH.AUTHORIZATION_SERVER_METADATA && answer.status === 200) {
      const metadata = JSON.parse(payload.toString('utf8')) as { code_challenge_methods_supported?: string[] };
      metadata.code_challenge_methods_supported = [...(metadata.code_challenge_methods_supported ?? []), 'plain'];
      payload = Buffer.from(JSON.stringify(metadata));
    }
    if (registering && answer.status === 201) payload = withMembers(payload, { redirect_uris: registering.asked });
    if (rotation?.presented && answer.status === 200) {
      const upstreamToken = (JSON.parse(payload.toString('utf8')) as { refresh_token?: string }).refresh_token;
      if (upstreamToken) kept.set(rotation.presented, upstreamToken);
      payload = withMembers(payload, { refresh_token: rotation.presented });
    }
    const headers = { ...answer.headers };
    if (typeof headers.location === 'string') headers.location = relocate(headers.location);
    res.writeHead(answer.status, headers).end(payload);
  }

  const server = await listenOnLoopback((req, res) => {
    handle(req, res).catch((e: unknown) => sendJson(res, 502, { message: `double: ${e instanceof Error ? e.message : String(e)}` }));
  });
  self = server.url;
  return server;
}

/** A cleartext off-loopback or fragment-bearing redirect URI, which an OAuth 2.1 server refuses to register. */
function badRedirectUri(uri: unknown): boolean {
  if (typeof uri !== 'string') return false;
  try {
    const url = new URL(uri);
    return url.hash !== '' || uri.includes('#') || (url.protocol === 'http:' && !['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname));
  } catch {
    return false;
  }
}

/** accept-any-redirect-uri: the registration as sent upstream (each bad redirect URI replaced by a loopback one) and the list the client asked for. */
function acceptAnyRedirectUri(body: string): { body: string; asked: unknown } | undefined {
  let metadata: { redirect_uris?: unknown };
  try {
    metadata = JSON.parse(body) as { redirect_uris?: unknown };
  } catch {
    return undefined;
  }
  const asked = metadata.redirect_uris;
  if (!Array.isArray(asked) || !asked.some(badRedirectUri)) return undefined;
  const registered = asked.map((u) => (badRedirectUri(u) ? 'http://127.0.0.1:9/registered-by-the-defect' : u));
  return { body: JSON.stringify({ ...metadata, redirect_uris: registered }), asked };
}

/** The JSON object of `payload` with `members` set. */
function withMembers(payload: Buffer, members: Record<string, unknown>): Buffer {
  return Buffer.from(JSON.stringify({ ...(JSON.parse(payload.toString('utf8')) as Record<string, unknown>), ...members }));
}
