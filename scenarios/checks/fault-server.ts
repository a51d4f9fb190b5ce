/**
 * A stand-in for a failing SaaS on loopback: it answers every request the way it is told
 * (an HTTP error, a malformed body) or never answers at all, and remembers what it was sent.
 * Scenarios point a relay at it to see how the relay fails.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { listenOnLoopback, type LoopbackListener } from './loopback-listener.js';

export type FaultAnswer =
  | { kind: 'hang' }
  | { kind: 'answer'; status: number; body: string; contentType: string; headers?: Record<string, string> }
  /** An answer computed from the request (a SaaS that echoes what it was sent). */
  | { kind: 'respond'; respond: (seen: SeenByFault) => { status: number; body: string; headers?: Record<string, string> } };

export interface SeenByFault {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

export class FaultServer {
  answer: FaultAnswer = { kind: 'hang' };
  readonly seen: SeenByFault[] = [];
  private listener?: LoopbackListener;

  get url(): string {
    return this.listener?.url ?? 'http://127.0.0.1:0';
  }

  async start(): Promise<this> {
    this.listener = await listenOnLoopback((req, res) => {
      this.seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
      req.resume();
      const answer = this.answer;
      if (answer.kind === 'hang') return; // the connection stays open until close()
      if (answer.kind === 'respond') {
        const out = answer.respond(this.seen[this.seen.length - 1]!);
        res.writeHead(out.status, { 'content-type': 'application/json', ...out.headers }).end(out.body);
        return;
      }
      res.writeHead(answer.status, { 'content-type': answer.contentType, ...answer.headers }).end(answer.body);
    });
    return this;
  }

  async close(): Promise<void> {
    await this.listener?.close();
  }
}

export const answer = (status: number, body: string, contentType = 'application/json', headers?: Record<string, string>): FaultAnswer => ({
  kind: 'answer',
  status,
  body,
  contentType,
  ...(headers ? { headers } : {}),
});
