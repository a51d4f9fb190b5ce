import { BASE64URL, decodeJsonSegment, loggable, reject, type RejectedToken } from './token-refusals.js';

/** What the verifier reads from a JWS protected header (RFC 7515 §4.1); nothing else in it is used. */
export interface ProtectedHeader {
  readonly alg: string;
  readonly kid: string | undefined;
}

/** Distinct header segments remembered; beyond it the memory starts again (an attacker's headers cannot grow it). */
const MAX_REMEMBERED = 64;

/**
 * Reads a compact JWS's protected header: a base64url JSON object, `alg` a non-empty string,
 * `kid` absent or a non-empty string, and no `crit` (no extension is understood, RFC 7515
 * §4.1.11). `jwk`, `jku`, `x5u` and `x5c` are never read (RFC 8725 §3.10). Every token a key
 * signs carries the same header segment, so a parsed header is remembered by its segment and
 * the per-keystroke path parses only the claims. Refusals are not remembered.
 */
export class ProtectedHeaders {
  private readonly parsed = new Map<string, ProtectedHeader>();

  /** The header of the base64url `segment`, or the refusal (`malformed`, `crit-unsupported`). */
  read(segment: string): ProtectedHeader | RejectedToken {
    const known = this.parsed.get(segment);
    if (known !== undefined) return known;
    const header = BASE64URL.test(segment) ? decodeJsonSegment(segment) : undefined;
    if (header === undefined) return reject('malformed', 'header is not a base64url JSON object');
    const { alg, kid, crit } = header;
    if (typeof alg !== 'string' || alg.length === 0) return reject('malformed', 'JWS "alg" header parameter missing or invalid', kid);
    if (crit !== undefined) return reject('crit-unsupported', `crit ${loggable(crit)} names an unsupported extension`, kid);
    if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0)) return reject('malformed', 'kid is not a non-empty string');
    if (this.parsed.size >= MAX_REMEMBERED) this.parsed.clear();
    const read: ProtectedHeader = Object.freeze({ alg, kid: kid as string | undefined });
    this.parsed.set(segment, read);
    return read;
  }
}
