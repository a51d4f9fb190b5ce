import type { Actor } from '../auth/api-auth.service.js';

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

/**
 * The self-managed side of POST /api/v4/code_suggestions/tokens (seed 001): check the
 * instance's code suggestions setting and the stored service access token, then relay to
 * <SAAS_URL>/api/v4/code_suggestions/tokens. Bound as a Nest provider under this class
 * (relay/relay.module.ts) so the controller does not know the implementation.
 */
export abstract class TokenRelay {
  abstract relay(request: RelayRequest): Promise<RelayResult>;
}

/** Bound on SaaS, which mints tokens itself: the controller never calls it there, so a call is a bug. */
export class NoTokenRelay extends TokenRelay {
  relay(): Promise<RelayResult> {
    return Promise.reject(new Error('TokenRelay called on a SaaS instance; only self-managed instances relay'));
  }
}
