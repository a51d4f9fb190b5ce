/**
 * The one loopback HTTP server of the tests: stand-ins (a token issuer, a failing SaaS, a model,
 * the gateway doubles of test/) listen on 127.0.0.1 through listenOnLoopback, and answer with
 * sendJson. Test support only: apps' specs and test/ import it; no app does.
 */
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoopbackServer {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  /** Closes the server and every open connection, hanging ones included. */
  close(): Promise<void>;
}

/**
 * Listens on 127.0.0.1 (port 0: a free one; a given port: that one, e.g. to bring an issuer
 * back where it was). Rejects when the port cannot be bound.
 */
export async function listenOnLoopback(listener: RequestListener, port = 0): Promise<LoopbackServer> {
  const server = createServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answers `status` with a JSON body (and extra headers), unless an answer already went out. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

/** The whole request body as UTF-8 text. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** A loopback port nothing listens on (bound, then released): a peer that is down. */
export async function closedPort(): Promise<number> {
  const server = await listenOnLoopback(() => undefined);
  await server.close();
  return server.port;
}
