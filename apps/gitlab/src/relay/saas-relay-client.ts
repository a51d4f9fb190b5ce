import { PATH, USER_AGENT } from '#contracts';
import { BodyTooLargeError, outboundTraceHeaders, readBoundedText } from '#common';
import { RELAY_ERROR } from './relay-errors.js';
import { MAX_SAAS_BODY_BYTES, type RelayExchange, type SaasBody, mapSaasAnswer } from './saas-answer.js';

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface RelayTarget {
  saasUrl: string;
  timeoutMs: number;
}

export interface SaasRelayClientOptions {
  /** SaaS base URL without a trailing slash (SAAS_URL). */
  saasUrl: string;
  /** Bound on the whole exchange: connect, headers and body (SAAS_TIMEOUT_MS). */
  timeoutMs: number;
  /** Tests inject one; Node's global fetch otherwise. */
  fetch?: FetchLike;
}

/** Workhorse's send_url is what SaaS sees; SaaS recognises relayed requests by this prefix. */
export const RELAY_USER_AGENT = `${USER_AGENT.RELAY_PREFIX} (${USER_AGENT.HARNESS} self-managed relay)`;

/**
 * The HTTP half of seed 001's relay: POST <SAAS_URL>/api/v4/code_suggestions/tokens with the
 * stored service access token, as Workhorse's send_url does for GitLab. SaaS's answer is
 * mapped by mapSaasAnswer (saas-answer.ts); redirects are never followed (the token must not
 * travel elsewhere: 502); no connection -> 502; no complete answer within timeoutMs -> 504.
 *
 * Never throws, never waits longer than timeoutMs, never reads more than MAX_SAAS_BODY_BYTES.
 * The token goes into the Authorization header only; a SaaS that echoes it in a body or a
 * header we pass on gets it replaced by [REDACTED], and no error text from fetch (which may
 * quote header values) leaves this class.
 */
export class SaasRelayClient {
  private readonly fetch: FetchLike;
  /** Where and how long the relay goes; the harness control API can point it elsewhere (fault servers). */
  private target: RelayTarget;

  constructor(private readonly options: SaasRelayClientOptions) {
    this.target = { saasUrl: options.saasUrl, timeoutMs: options.timeoutMs };
    this.fetch = options.fetch ?? ((url, init) => fetch(url, init));
  }

  get saasUrl(): string {
    return this.target.saasUrl;
  }

  get timeoutMs(): number {
    return this.target.timeoutMs;
  }

  get tokensUrl(): string {
    return `${this.target.saasUrl}${PATH.GITLAB_CODE_SUGGESTIONS_TOKENS}`;
  }

  /** Harness control API only: relay to another SaaS URL or with another timeout until reset. */
  retarget(change: Partial<RelayTarget>): RelayTarget {
    this.target = { ...this.target, ...change };
    return { ...this.target };
  }

  /** Back to SAAS_URL and SAAS_TIMEOUT_MS. */
  resetTarget(): void {
    this.target = { saasUrl: this.options.saasUrl, timeoutMs: this.options.timeoutMs };
  }

  async requestToken(serviceToken: string): Promise<RelayExchange> {
    const { timeoutMs, saasUrl } = this.target;
    const signal = AbortSignal.timeout(timeoutMs);
    let response: Response;
    try {
      response = await this.fetch(`${saasUrl}${PATH.GITLAB_CODE_SUGGESTIONS_TOKENS}`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${serviceToken}`,
          'User-Agent': RELAY_USER_AGENT,
          'Content-Type': 'application/json',
          Accept: 'application/json',
          // The IDE's trace goes on to SaaS (W3C Trace Context), as Workhorse forwards it.
          ...outboundTraceHeaders('gitlab-sm'),
        },
        redirect: 'manual',
        signal,
      });
    } catch (e) {
      return this.failure(e, signal, { saasUrl, timeoutMs });
    }
    let body: SaasBody;
    try {
      body = { text: await readBoundedText(response, MAX_SAAS_BODY_BYTES) };
    } catch (e) {
      if (signal.aborted) return this.failure(e, signal, { saasUrl, timeoutMs });
      body = { unreadable: e instanceof BodyTooLargeError ? 'too-large' : 'incomplete' };
    }
    return mapSaasAnswer(response.status, body, response.headers, serviceToken);
  }

  private failure(error: unknown, signal: AbortSignal, target: RelayTarget): RelayExchange {
    if (signal.aborted || (error as { name?: string })?.name === 'TimeoutError') {
      return { outcome: 'timeout', result: { status: 504, body: RELAY_ERROR.timeout(target.timeoutMs) } };
    }
    const errorCode = systemErrorCode(error);
    return {
      outcome: 'unreachable',
      result: { status: 502, body: RELAY_ERROR.unreachable(target.saasUrl) },
      ...(errorCode ? { errorCode } : {}),
    };
  }
}

/** ECONNREFUSED, ENOTFOUND...: the code only (undici's messages may quote header values). */
function systemErrorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)) return code;
  }
  return undefined;
}
