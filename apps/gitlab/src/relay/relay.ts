import type { Actor } from '../auth/actor.js';

/** What a self-managed instance answers the IDE after relaying (status and body as SaaS gave them, or its own). */
export interface RelayResult {
  status: number;
  /** The JSON body (parsed when it is SaaS's). */
  body: object;
  /**
   * SaaS's JSON text, sent instead of serialising `body` so a passed-through answer reaches the
   * IDE byte for byte (member order, escapes and members unknown to us as SaaS wrote them).
   * Present only when it parses to `body` and carries no stored token.
   */
  bodyText?: string;
  headers?: Record<string, string>;
}

export interface RelayRequest {
  actor: Actor;
  userAgent: string | undefined;
}
