import { UNTRUSTED_JSON_BOUNDS, jsonBoundsViolation } from '#common';
import type { RelayResult } from './relay.js';
import { BODY_PROBLEM, RELAY_ERROR, relayStatusFor } from './relay-errors.js';
import { withoutSecret } from './secret-scrub.js';
import { compileUpstreamTokenCheck } from './upstream-token-response.js';

/** A token response is about 1 KiB; anything past this is not one (and is not read further). */
export const MAX_SAAS_BODY_BYTES = 64 * 1024;

/** How a relay ended, for logs and tests. */
export type RelayOutcome =
  | 'token' // 2xx with a valid token response, passed through
  | 'saas-client-error' // 4xx with a JSON body, passed through
  | 'saas-client-error-without-json' // 4xx without a usable JSON body: its status, our message
  | 'saas-bad-status' // 5xx, 3xx or anything else
  | 'malformed' // an answer we cannot relay: 502
  | 'unreachable'
  | 'timeout';

/** Why SaaS's body was of no use (logged with the outcome). */
export type BodyProblem = 'too-large' | 'incomplete' | 'empty' | 'not-json' | 'not-an-object' | 'too-complex' | 'not-a-token-response';

export interface RelayExchange {
  result: RelayResult;
  outcome: RelayOutcome;
  /** SaaS's HTTP status, when it answered one. */
  saasStatus?: number;
  /** Why the body could not be passed on, when it could not. */
  problem?: BodyProblem;
  /** A system error code (ECONNREFUSED, ENOTFOUND...) when SaaS could not be reached. */
  errorCode?: string;
}

/** What reading SaaS's body gave: its text, or why there is none (over MAX_SAAS_BODY_BYTES, cut off). */
export type SaasBody = { text: string } | { unreadable: 'too-large' | 'incomplete' };

/** SaaS response headers that travel with a passed-through answer (as Workhorse copies them). */
const PASSED_HEADERS = ['www-authenticate', 'retry-after'];
const MAX_PASSED_HEADER_LENGTH = 1024;
/** RFC 9110 §10.2.3: delay-seconds or an HTTP-date; anything else is not passed on. */
const RETRY_AFTER = /^(\d{1,10}|[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT)$/;
/** A media type worth naming in a message (type/subtype only; parameters and oddities are left out). */
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$/;

let tokenCheck: ReturnType<typeof compileUpstreamTokenCheck> | undefined;

type JudgedBody = { usable: true; value: object; text: string } | { usable: false; problem: BodyProblem; phrase: string };

/**
 * What the self-managed instance answers for SaaS's status, body and headers:
 *
 * - 2xx with a token response (the contract's members; others allowed): passed on byte for byte;
 * - 4xx with a JSON object: passed on byte for byte, with WWW-Authenticate and Retry-After;
 * - 4xx without a usable JSON body (empty, not JSON, not an object, too large, cut off): its
 *   status, our message naming the cause;
 * - a 2xx that is no token response, or JSON of any status too deep or too large to handle
 *   (UNTRUSTED_JSON_BOUNDS): 502 naming the cause and SaaS's status;
 * - 5xx, 3xx and the rest: 502 (503 stays 503, with Retry-After).
 *
 * Finally the stored token (`secret`) is taken out of every body and header (withoutSecret).
 */
export function mapSaasAnswer(status: number, body: SaasBody, headers: Headers, secret: string): RelayExchange {
  return scrubbed(mapWithSecret(status, body, headers), secret);
}

function mapWithSecret(status: number, body: SaasBody, headers: Headers): RelayExchange {
  if (status >= 200 && status < 300) {
    const judged = judgeJson(body, headers);
    if (!judged.usable) return unusable(status, judged.problem, judged.phrase);
    tokenCheck ??= compileUpstreamTokenCheck();
    const check = tokenCheck(judged.value);
    if (!check.valid) return unusable(status, 'not-a-token-response', BODY_PROBLEM.notATokenResponse(check.reasons));
    return { outcome: 'token', saasStatus: status, result: { status, body: judged.value, bodyText: judged.text } };
  }
  if (status >= 400 && status < 500) {
    const judged = judgeJson(body, headers);
    if (judged.usable) {
      return { outcome: 'saas-client-error', saasStatus: status, result: { status, body: judged.value, bodyText: judged.text, headers: passedHeaders(headers) } };
    }
    if (judged.problem === 'too-complex') return unusable(status, judged.problem, judged.phrase);
    return {
      outcome: 'saas-client-error-without-json',
      saasStatus: status,
      problem: judged.problem,
      result: { status, body: RELAY_ERROR.clientErrorWithoutJson(status, judged.phrase), headers: passedHeaders(headers) },
    };
  }
  const relayStatus = relayStatusFor(status);
  return {
    outcome: 'saas-bad-status',
    saasStatus: status,
    result: { status: relayStatus, body: RELAY_ERROR.badStatus(status), headers: relayStatus === 503 ? passedHeaders(headers) : {} },
  };
}

function unusable(status: number, problem: BodyProblem, phrase: string): RelayExchange {
  return { outcome: 'malformed', saasStatus: status, problem, result: { status: 502, body: RELAY_ERROR.unusableAnswer(status, phrase) } };
}

function scrubbed(exchange: RelayExchange, secret: string): RelayExchange {
  return { ...exchange, result: withoutSecret(exchange.result, secret) };
}

/** SaaS's body as a JSON object within UNTRUSTED_JSON_BOUNDS, or why it is not one. */
function judgeJson(body: SaasBody, headers: Headers): JudgedBody {
  if ('unreadable' in body) {
    return body.unreadable === 'too-large'
      ? { usable: false, problem: 'too-large', phrase: BODY_PROBLEM.tooLarge(MAX_SAAS_BODY_BYTES) }
      : { usable: false, problem: 'incomplete', phrase: BODY_PROBLEM.incomplete() };
  }
  const { text } = body;
  if (text.trim() === '') return { usable: false, problem: 'empty', phrase: BODY_PROBLEM.empty() };
  let value: unknown;
  try {
    // V8's JSON.parse is iterative: any depth parses; the bound below keeps later steps safe.
    value = JSON.parse(text) as unknown;
  } catch {
    return { usable: false, problem: 'not-json', phrase: BODY_PROBLEM.notJson(mediaTypeOf(headers)) };
  }
  if (typeof value !== 'object' || value === null) return { usable: false, problem: 'not-an-object', phrase: BODY_PROBLEM.notAnObject() };
  const violation = jsonBoundsViolation(value, UNTRUSTED_JSON_BOUNDS);
  if (violation) return { usable: false, problem: 'too-complex', phrase: BODY_PROBLEM.tooComplex(violation) };
  return { usable: true, value, text };
}

function mediaTypeOf(headers: Headers): string | undefined {
  const type = (headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  return MEDIA_TYPE.test(type) ? type : undefined;
}

function passedHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of PASSED_HEADERS) {
    const value = headers.get(name);
    if (value === null || value.length > MAX_PASSED_HEADER_LENGTH) continue;
    if (name === 'retry-after' && !RETRY_AFTER.test(value)) continue;
    out[name] = value;
  }
  return out;
}
