import type { IncomingMessage, ServerResponse } from 'node:http';
import { listenOnLoopback, readBody, type LoopbackServer } from '#common/testing/loopback';

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
  seen: SeenRequest[] = [];
  answer: Answer = reply(500, '{}');
  private server: LoopbackServer | undefined;

  get url(): string {
    return this.server!.url;
  }

  async start(): Promise<this> {
    this.server = await listenOnLoopback((req, res) => {
      void readBody(req).then((body) => {
        this.seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        this.answer(req, res);
      });
    });
    return this;
  }

  /** Closes the server and every connection, hanging ones included. */
  stop(): Promise<void> {
    return this.server!.close();
  }
}
