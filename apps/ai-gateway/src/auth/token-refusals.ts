import { errors } from 'jose';

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

/** A refusal decided inside jwtVerify's key resolver; jwtVerify passes it through unchanged. */
export class Refusal extends Error {
  constructor(readonly rejection: RejectedToken) {
    super(rejection.detail);
  }
}

export function refusal(reason: RejectReason, detail: string, kid?: unknown, iss?: unknown): Refusal {
  return new Refusal(reject(reason, detail, kid, iss));
}

/**
 * The refusal for an error out of jwtVerify: the resolver's own, or jose's mapped to a reason.
 * The token's alg, kid and iss for the log line are decoded again here, on refusals only.
 */
export function refusalOf(e: unknown, token: string): RejectedToken {
  if (e instanceof Refusal) return e.rejection;
  const [header = '', payload = ''] = token.split('.', 2);
  const { alg, kid } = decodeJsonSegment(header) ?? {};
  const refuse = (reason: RejectReason, detail: string) => reject(reason, detail, kid, decodeJsonSegment(payload)?.iss);
  if (e instanceof errors.JOSEAlgNotAllowed) return refuse('alg-not-allowed', `alg ${loggable(alg)} is not allowed`);
  // Before any key is used jose throws this only for a `crit` naming an extension it does not
  // know; every configured algorithm is one jose implements (config.ts ALGORITHM).
  if (e instanceof errors.JOSENotSupported) return refuse('crit-unsupported', 'crit names an unsupported extension');
  if (e instanceof errors.JWSSignatureVerificationFailed) return refuse('bad-signature', 'signature does not verify with the trusted key');
  if (e instanceof errors.JWTExpired) return refuse('expired', 'exp is in the past (beyond the allowed clock skew)');
  if (e instanceof errors.JWTClaimValidationFailed) {
    switch (e.claim) {
      case 'nbf':
        return refuse('not-yet-valid', 'nbf is in the future (beyond the allowed clock skew)');
      case 'aud':
        return refuse('audience', e.reason === 'missing' ? 'aud is missing' : 'aud does not contain an accepted audience');
      default:
        return refuse('invalid-claims', `claim ${e.claim}: ${e.reason}`);
    }
  }
  // jose's messages are fixed sentences (a `crit` member's name at most): shortened, they say what is wrong.
  if (e instanceof errors.JWTInvalid || e instanceof errors.JWSInvalid) return refuse('malformed', `${e.message.slice(0, LOGGABLE)} (${e.code})`);
  return refuse('malformed', `unverifiable token (${(e as Error)?.name ?? 'error'})`);
}

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
