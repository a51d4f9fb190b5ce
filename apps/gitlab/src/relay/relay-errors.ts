import { STATUS_CODES } from 'node:http';

/**
 * What a self-managed instance answers when the relay to SaaS fails (seed 001). GitLab itself
 * leaves these to Workhorse's send_url, which answers a bare 502/500; the emulator says what
 * went wrong in GitLab's `{"message": ...}` shape, naming the real cause and SaaS's status,
 * bounded and without the stored token.
 */
export const RELAY_ERROR = {
  /** Connection refused, DNS failure, reset before an answer. */
  unreachable: (saasUrl: string) => ({ message: `502 Bad Gateway - GitLab SaaS at ${saasUrl} could not be reached` }),
  /** No complete answer within SAAS_TIMEOUT_MS. */
  timeout: (timeoutMs: number) => ({ message: `504 Gateway Timeout - GitLab SaaS did not answer within ${timeoutMs} ms` }),
  /** SaaS answered 5xx (or another status that is neither a token nor a client error, e.g. a redirect). */
  badStatus: (saasStatus: number) => ({ message: `${statusLine(relayStatusFor(saasStatus))} - GitLab SaaS answered HTTP ${saasStatus}` }),
  /** SaaS answered with a body we cannot relay (a 2xx that is no token response, any JSON too complex to handle): 502. */
  unusableAnswer: (saasStatus: number, problem: string) => ({ message: `502 Bad Gateway - GitLab SaaS answered HTTP ${saasStatus} ${problem}` }),
  /** SaaS answered 4xx without a usable JSON body: its status goes through with a message of ours. */
  clientErrorWithoutJson: (saasStatus: number, problem: string) => ({
    message: `${statusLine(saasStatus)} - GitLab SaaS answered HTTP ${saasStatus} ${problem}`,
  }),
} as const;

/** Why SaaS's body is of no use, as the end of "GitLab SaaS answered HTTP <status> ...". */
export const BODY_PROBLEM = {
  tooLarge: (limitBytes: number) => `with a body over ${limitBytes} bytes`,
  incomplete: () => 'but the connection closed before the body was complete',
  empty: () => 'with an empty body',
  notJson: (mediaType: string | undefined) => `with a body that is not JSON${mediaType ? ` (${mediaType})` : ''}`,
  notAnObject: () => 'with JSON that is not an object',
  tooComplex: (violation: string) => `with JSON too complex to relay (${violation})`,
  notATokenResponse: (reasons: readonly string[]) => `with JSON that is not a token response (${reasons.slice(0, 3).join('; ')})`,
} as const;

/** Status of our answer when SaaS's status is not passed through: 503 stays 503 (retry later), the rest is 502. */
export function relayStatusFor(saasStatus: number): number {
  return saasStatus === 503 ? 503 : 502;
}

function statusLine(status: number): string {
  return `${status} ${STATUS_CODES[status] ?? 'Error'}`;
}
