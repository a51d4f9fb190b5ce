import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method?: string;
  url?: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type Answer = (req: IncomingMessage, res: ServerResponse) => void;

/** An answer with this status, body and headers (JSON by default). */
export function reply(status: number, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }): Answer {
  return (_req, res) => {
    res.writeHead(status, headers);
    res.end(body);
  };
}

/** Accepts the request and never answers (the relay's timeout must end it). */
export const never: Answer = () => undefined;

/**
 * A stand-in for GitLab SaaS on a free loopback port whose answer each test sets; records what
 * it was sent. For the relay's failure modes a real SaaS does not produce on demand.
 */
export class FakeSaas {
  readonly server: Server;
  url = '';
  seen: SeenRequest[] = [];
  answer: Answer = reply(500, '{}');

  constructor() {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        this.seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        this.answer(req, res);
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Closes the server and every connection, hanging ones included. */
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The URL of a loopback port nothing listens on (bound, then released). */
export async function closedPortUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
