import { TOKEN_ERROR_CODES } from 'fast-jwt';

/** Why a token was refused: for logs and tests only, never sent to the caller. */
export type RejectReason =
  | 'oversized'
  | 'malformed'
  | 'alg-not-allowed'
  | 'crit-unsupported'
  | 'untrusted-issuer'
  | 'unknown-kid'
  | 'no-keys'
  | 'bad-signature'
  | 'issuer-mismatch'
  | 'audience'
  | 'expired'
  | 'not-yet-valid'
  | 'invalid-claims';

export interface RejectedToken {
  ok: false;
  reason: RejectReason;
  /** A sentence for the log; never contains the token. */
  detail: string;
  kid?: string | undefined;
  iss?: string | undefined;
}

/** Longest string of a token's header or claims that goes into a log line. */
const LOGGABLE = 200;

/** A refusal with the token's `kid` and `iss`, when they are strings, shortened for the log. */
export function reject(reason: RejectReason, detail: string, kid?: unknown, iss?: unknown): RejectedToken {
  return {
    ok: false,
    reason,
    detail,
    kid: typeof kid === 'string' ? kid.slice(0, LOGGABLE) : undefined,
    iss: typeof iss === 'string' ? iss.slice(0, LOGGABLE) : undefined,
  };
}

/** Whether a SignatureVerifier's error says only that the signature does not verify under its key (another key may). */
export function signatureDoesNotVerify(e: unknown): boolean {
  return SIGNATURE_CODES.has((e as { code?: unknown } | null)?.code);
}

const SIGNATURE_CODES = new Set<unknown>([TOKEN_ERROR_CODES.invalidSignature, TOKEN_ERROR_CODES.missingSignature, TOKEN_ERROR_CODES.verifyError]);

/**
 * The refusal for an error out of a SignatureVerifier (fast-jwt's TokenError, by its `code`).
 * The token's `iss` for the log line is decoded again here, on refusals only.
 */
export function refusalOf(e: unknown, token: string, kid: string | undefined): RejectedToken {
  const code = (e as { code?: unknown } | null)?.code;
  const refuse = (reason: RejectReason, detail: string) => reject(reason, detail, kid, issuerOf(token));
  if (signatureDoesNotVerify(e)) return refuse('bad-signature', 'signature does not verify with the trusted key');
  switch (code) {
    // The verifier is chosen by `alg` and the header has passed crit: kept for completeness.
    case TOKEN_ERROR_CODES.invalidAlgorithm:
      return refuse('alg-not-allowed', 'alg is not the algorithm of the verifying key');
    case TOKEN_ERROR_CODES.invalidCritHeader:
      return refuse('crit-unsupported', 'crit names an unsupported extension');
    default:
      // fast-jwt's messages are fixed sentences: shortened, they say what is wrong.
      return refuse('malformed', `${e instanceof Error ? e.message.slice(0, LOGGABLE) : 'unverifiable token'} (${typeof code === 'string' ? code : 'error'})`);
  }
}

/** The `iss` of a compact JWS's payload, undefined when it cannot be read; for refusals' log lines. */
export function issuerOf(token: string): unknown {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  return first < 0 || second < 0 ? undefined : decodeJsonSegment(token.slice(first + 1, second))?.iss;
}

/** One base64url segment (RFC 4648 §5, no padding): Buffer.from() would skip any other character silently. */
export const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** A base64url segment of a compact JWS as a JSON object, or undefined for anything else. */
export function decodeJsonSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A claim or header value for a log line: a string shortened and JSON-quoted, else its type (a nested value is never walked). */
export function loggable(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > LOGGABLE ? `${value.slice(0, LOGGABLE)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `(${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value})`;
}
