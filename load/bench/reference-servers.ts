/**
 * The limits the gateway is measured against, in the same run: a bare node:http server that
 * answers fixed bytes (what any Node HTTP server can do on this core), and a bare node:http
 * proxy that makes the same hop to the model as the gateway (what any Node proxy can do).
 */
import { type IncomingMessage, type Server, type ServerResponse, Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<RunningServer> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.keepAliveTimeout = 60_000;
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Headers that describe one connection or one moment, not the answer. */
const PER_RESPONSE = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'content-length']);

/** A server that reads each request's body and answers `answer`'s bytes. */
export function fixedAnswerServer(answer: RecordedAnswer): Promise<RunningServer> {
  const headers = Object.fromEntries(Object.entries(answer.headers).filter(([name]) => !PER_RESPONSE.has(name)));
  return listen(
    createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(answer.status, { ...headers, 'content-length': answer.body.length });
        res.end(answer.body);
      });
    }),
  );
}

/**
 * A proxy that reads each request's body, rewrites it with `toUpstream` (the gateway's
 * request-to-model mapping, reduced to field copies), posts it to `targetUrl` on kept-alive
 * connections and streams the answer back: the model hop without any gateway logic.
 */
export function bareProxy(targetUrl: string, toUpstream: (body: string) => string): Promise<RunningServer> {
  const target = new URL(targetUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  return listen(
    createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        let body: string;
        try {
          body = toUpstream(Buffer.concat(chunks).toString('utf8'));
        } catch {
          res.writeHead(400).end();
          return;
        }
        const upstream = request(
          { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, { 'content-type': answer.headers['content-type'] ?? 'application/json' });
            answer.pipe(res);
          },
        );
        upstream.on('error', () => res.writeHead(502).end());
        upstream.end(body);
      });
    }),
  );
}

/** One answer of `url` to the request, as bytes (to build the fixed-answer reference). */
export async function record(url: string, init: RequestInit): Promise<RecordedAnswer> {
  const res = await fetch(url, init);
  return { status: res.status, headers: Object.fromEntries(res.headers), body: Buffer.from(await res.arrayBuffer()) };
}
