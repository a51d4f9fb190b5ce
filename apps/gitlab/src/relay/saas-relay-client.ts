import {
  PATH,
  SCHEMA,
  USER_AGENT,
  compileValidator,
} from '../../../../contracts/src/index.js';
import type { RelayResult } from '../ai-access/token-relay.js';
import { RELAY_ERROR, relayStatusFor } from './relay-errors.js';

/** How a relay ended, for logs and tests. */
export type RelayOutcome =
  | 'token' // 2xx with a valid token response, passed through
  | 'saas-client-error' // 4xx with a JSON body, passed through
  | 'saas-client-error-without-json'
  | 'saas-bad-status' // 5xx, 3xx or anything else
  | 'malformed'
  | 'unreachable'
  | 'timeout';

export interface RelayExchange {
  result: RelayResult;
  outcome: RelayOutcome;
  /** SaaS's HTTP status, when it answered one. */
  saasStatus?: number;
  /** A system error code (ECONNREFUSED, ENOTFOUND...) when SaaS could not be reached. */
  errorCode?: string;
}

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
/** A token response is about 1 KiB; anything past this is not one (and is not read further). */
export const MAX_SAAS_BODY_BYTES = 64 * 1024;
/** SaaS response headers that travel with a passed-through answer (as Workhorse copies them). */
const PASSED_HEADERS = ['www-authenticate', 'retry-after'];

const isTokenResponse = compileValidator(SCHEMA.CODE_SUGGESTIONS_TOKEN_RESPONSE);

/**
 * The HTTP half of seed 001's relay: POST <SAAS_URL>/api/v4/code_suggestions/tokens with the
 * stored service access token, as Workhorse's send_url does for GitLab, and the mapping of
 * every outcome to what the self-managed instance answers:
 *
 * - 2xx with a token response (contract schema) and 4xx with a JSON body: passed through
 *   unchanged (status, body, WWW-Authenticate/Retry-After);
 * - 2xx with anything else -> 502 malformed; 4xx without JSON -> its status, our message;
 * - 5xx, redirects (never followed: the token must not travel elsewhere), other statuses -> 502
 *   (503 stays 503);
 * - no connection -> 502; no complete answer within timeoutMs -> 504.
 *
 * Never throws, never waits longer than timeoutMs, never reads more than MAX_SAAS_BODY_BYTES.
 * The token goes into the Authorization header only; a SaaS that echoes it in a body we pass
 * on gets it replaced by [REDACTED], and no error text from fetch (which may quote header
 * values) leaves this class.
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
        },
        redirect: 'manual',
        signal,
      });
    } catch (e) {
      return this.failure(e, signal, { saasUrl, timeoutMs });
    }
    let text: string | undefined;
    try {
      text = await readCapped(response, MAX_SAAS_BODY_BYTES);
    } catch (e) {
      if (signal.aborted) return this.failure(e, signal, { saasUrl, timeoutMs });
      text = undefined; // The connection broke mid-body: judged below as no usable body.
    }
    return mapSaasAnswer(response.status, text, response.headers, serviceToken);
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

/**
 * What the self-managed instance answers for SaaS's status and body text (undefined: no usable
 * body, e.g. over MAX_SAAS_BODY_BYTES or cut off).
 */
export function mapSaasAnswer(status: number, text: string | undefined, headers: Headers, secret: string): RelayExchange {
  const json = text === undefined ? undefined : parseJson(text);
  if (status >= 200 && status < 300) {
    if (json !== undefined && isTokenResponse(json.value).valid) {
      return { outcome: 'token', saasStatus: status, result: { status, body: scrub(json.value, secret) as object } };
    }
    return { outcome: 'malformed', saasStatus: status, result: { status: 502, body: RELAY_ERROR.malformed() } };
  }
  if (status >= 400 && status < 500) {
    if (json !== undefined && typeof json.value === 'object' && json.value !== null) {
      return {
        outcome: 'saas-client-error',
        saasStatus: status,
        result: { status, body: scrub(json.value, secret) as object, headers: passedHeaders(headers) },
      };
    }
    return {
      outcome: 'saas-client-error-without-json',
      saasStatus: status,
      result: { status, body: RELAY_ERROR.clientErrorWithoutJson(status), headers: passedHeaders(headers) },
    };
  }
  const relayStatus = relayStatusFor(status);
  return {
    outcome: 'saas-bad-status',
    saasStatus: status,
    result: {
      status: relayStatus,
      body: RELAY_ERROR.badStatus(status),
      headers: relayStatus === 503 ? passedHeaders(headers) : {},
    },
  };
}

/** The body as text, or undefined past `max` bytes (the rest is not read). */
async function readCapped(response: Response, max: number): Promise<string | undefined> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

function passedHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of PASSED_HEADERS) {
    const value = headers.get(name);
    if (value !== null && value.length <= 1024) out[name] = value;
  }
  return out;
}

/** A deep copy with every occurrence of the secret in strings (keys included) replaced. */
export function scrub(value: unknown, secret: string): unknown {
  if (typeof value === 'string') return value.split(secret).join('[REDACTED]');
  if (Array.isArray(value)) return value.map((v) => scrub(v, secret));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [scrub(k, secret) as string, scrub(v, secret)]));
  }
  return value;
}

/** ECONNREFUSED, ENOTFOUND...: the code only (undici's messages may quote header values). */
function systemErrorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)) return code;
  }
  return undefined;
}
