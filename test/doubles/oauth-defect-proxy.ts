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
  | 'replayable-codes';

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
    const code = path === OAUTH_PATH.TOKEN && body ? new URLSearchParams(body) : undefined;
    const replayKey = defects.has('replayable-codes') && code?.get('grant_type') === 'authorization_code' ? code.get('code') : null;
    const earlier = replayKey ? answered.get(replayKey) : undefined;
    const answer = earlier ?? (await forward(req, url, body));
    if (replayKey && !earlier && answer.status === 200) answered.set(replayKey, answer);

    let payload = answer.body;
    if (defects.has('accepts-plain-pkce') && path === OAUTH_PATH.AUTHORIZATION_SERVER_METADATA && answer.status === 200) {
      const metadata = JSON.parse(payload.toString('utf8')) as { code_challenge_methods_supported?: string[] };
      metadata.code_challenge_methods_supported = [...(metadata.code_challenge_methods_supported ?? []), 'plain'];
      payload = Buffer.from(JSON.stringify(metadata));
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
