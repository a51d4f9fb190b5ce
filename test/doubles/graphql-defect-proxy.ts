/**
 * A GitLab GraphQL API with chosen defects (scoped-graphql's doubles): a loopback proxy (plain
 * node:http and node:net) in front of the gitlab emulator that passes POST /api/graphql and the
 * ActionCable WebSocket at /-/cable through, and breaks one scope rule per defect by handing the
 * emulator another token than the client sent. With no defect it must pass every check the
 * emulator passes: the proxy is transparent. Test-only; never shipped.
 *
 * It listens itself (not through listenOnLoopback) because it needs the server's `upgrade` event.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { PATH } from '#contracts';
import { readBody, type LoopbackServer } from '#common/testing/loopback';

export type GraphqlDefect =
  /** updateIssue sent with the ai_features token runs with the api token's rights (the seed's third call succeeds). */
  | 'ai-features-updates-issues'
  /** A read_user token opening /-/cable is taken for the api token: its subscriptions are confirmed. */
  | 'accepts-read-user-subscriptions';

export interface GraphqlDefectProxyOptions {
  /** The gitlab emulator. */
  upstream: string;
  /** The demo tokens the defects swap: the client's token, and the api token the emulator is handed instead. */
  tokens: { aiFeatures: string; readUser: string; api: string };
  defects?: GraphqlDefect[];
}

/** Headers of a hop, not of the message (RFC 9110 §7.6.1), and those fetch sets itself. */
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'host', 'content-length', 'te', 'trailer', 'proxy-connection', 'content-encoding']);

export async function startGraphqlDefectProxy(options: GraphqlDefectProxyOptions): Promise<LoopbackServer> {
  const upstream = new URL(options.upstream);
  const defects = new Set(options.defects ?? []);
  const { tokens } = options;
  const tunnels = new Set<Duplex>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await readBody(req);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) if (!HOP.has(name) && value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    if (defects.has('ai-features-updates-issues') && url.split('?')[0] === PATH.GITLAB_GRAPHQL && headers['private-token'] === tokens.aiFeatures && body?.includes('updateIssue')) {
      headers['private-token'] = tokens.api;
    }
    const answer = await fetch(`${upstream.origin}${url}`, { method: req.method ?? 'GET', headers, body, redirect: 'manual' });
    const out: Record<string, string | string[]> = {};
    answer.headers.forEach((value, name) => {
      if (!HOP.has(name) && name !== 'set-cookie') out[name] = value;
    });
    const cookies = answer.headers.getSetCookie();
    if (cookies.length) out['set-cookie'] = cookies;
    res.writeHead(answer.status, out).end(Buffer.from(await answer.arrayBuffer()));
  }

  /** The upgrade's head as the emulator receives it: Host and Origin its own, the token swapped by a defect. */
  function upgradeHead(req: IncomingMessage): string {
    const lines = [`${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i]!;
      let value = req.rawHeaders[i + 1]!;
      const lower = name.toLowerCase();
      if (lower === 'host') value = upstream.host;
      if (lower === 'origin') value = upstream.origin;
      if (lower === 'authorization' && defects.has('accepts-read-user-subscriptions') && value === `Bearer ${tokens.readUser}`) value = `Bearer ${tokens.api}`;
      lines.push(`${name}: ${value}`);
    }
    return `${lines.join('\r\n')}\r\n\r\n`;
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(502).end();
    });
  });
  server.on('upgrade', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    const emulator: Socket = connect(Number(upstream.port), upstream.hostname, () => {
      emulator.write(upgradeHead(req));
      if (head.length) emulator.write(head);
      emulator.pipe(client);
      client.pipe(emulator);
    });
    tunnels.add(client).add(emulator);
    const end = () => {
      client.destroy();
      emulator.destroy();
      tunnels.delete(client);
      tunnels.delete(emulator);
    };
    emulator.on('error', end).on('close', end);
    client.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of tunnels) t.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
