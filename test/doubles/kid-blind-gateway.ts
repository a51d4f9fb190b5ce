/**
 * Gateway double (b): an AI gateway that IGNORES `kid` and tries every key of the token's
 * issuer, as python-jose does in the production gateway (`jws._get_keys`/`_sig_matches_keys`,
 * ai_gateway_facts §6), but otherwise correct: it checks `iss`, `aud`, `exp`, RS256 and `crit`,
 * keeps each issuer's keys for a TTL and, when no key verifies a signature, re-fetches them at
 * most once per re-fetch interval. `kid` is a hint (RFC 7515 §4.1.4), so this is a correct
 * gateway the suite must pass (issue 6 §2). No harness control API. Test-only.
 */
import { decodeProtectedHeader, errors, importJWK, jwtVerify, type CryptoKey, type JWK, type JWTVerifyOptions } from 'jose';
import { AI_TOKEN } from '#contracts';
import { answerFromModel, authenticateCompletions, startGatewayDouble, type IssuerReadiness } from './gateway-contract.js';
import type { LoopbackServer } from '#common/testing/loopback';
import { outboundTraceHeaders } from './trace-context.js';
import { ISSUER_FETCH_TIMEOUT_MS, claimedTrustedIssuer, discoverJwksUri, reasonOf, verifyOptions } from './trusted-issuers.js';

export interface KidBlindGatewayOptions {
  /** Trusted issuer URLs, exactly as their tokens' `iss` and their discovery documents name them. */
  issuers: readonly string[];
  /** The fake model's base URL: an authenticated keystroke is completed by POST <modelUrl>/v1/completions. */
  modelUrl: string;
  /** How long fetched keys are fresh (default 300 s). */
  ttlSeconds?: number;
  /** At most one re-fetch per issuer in this interval when no key verifies a signature (default 15 s). */
  refetchIntervalSeconds?: number;
}

/** Leeway on `exp`/`nbf`: a minute, the most the gateway checklist calls small (item 11). */
const CLOCK_TOLERANCE_SECONDS = 60;
/** Past the TTL, the last good keys keep serving this long while fetches fail (stale-if-error, bounded). */
const STALE_IF_ERROR_MS = 60 * 60 * 1000;
/** After a failed fetch, the next one waits this long: a down issuer is not hit per keystroke. */
const RETRY_MS = 1000;
/** RFC 7518 §3.3: RS256 keys are 2048 bits or larger (jose enforces it too). */
const MIN_RSA_MODULUS_BITS = 2048;

/** The RSA signing keys of a JWK Set, imported once; keys for other uses or algorithms are left out. */
async function importVerificationKeys(jwks: unknown): Promise<CryptoKey[]> {
  const listed = (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(listed)) throw new Error('the JWKS has no "keys" array');
  const keys: CryptoKey[] = [];
  for (const jwk of listed as JWK[]) {
    if (jwk?.kty !== 'RSA' || jwk.d !== undefined || (jwk.use ?? 'sig') !== 'sig' || (jwk.alg ?? AI_TOKEN.ALGORITHM) !== AI_TOKEN.ALGORITHM) continue;
    if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) continue;
    try {
      const key = await importJWK(jwk, AI_TOKEN.ALGORITHM);
      const bits = key instanceof Uint8Array ? 0 : (key.algorithm as { modulusLength?: number }).modulusLength ?? 0;
      if (bits >= MIN_RSA_MODULUS_BITS) keys.push(key as CryptoKey);
    } catch {
      // an unusable entry does not spoil the others
    }
  }
  return keys;
}

/** One issuer's keys: fetched on demand, fresh for the TTL, one fetch at a time. */
class IssuerKeys {
  keys: readonly CryptoKey[] = [];
  lastError: string | null = null;
  private fetchedAt: number | undefined;
  private attemptedAt = 0;
  private refetchedAt: number | undefined;
  private inflight: Promise<void> | undefined;

  constructor(
    readonly issuer: string,
    private readonly ttlMs: number,
    private readonly refetchIntervalMs: number,
  ) {}

  /**
   * The keys to try, loaded first when there are none or they are past the TTL (unless a fetch
   * just failed); `justLoaded` says this call waited for a fetch, so a re-fetch would add nothing.
   */
  async current(): Promise<{ keys: readonly CryptoKey[]; justLoaded: boolean }> {
    const now = Date.now();
    const due = this.fetchedAt === undefined || now >= this.fetchedAt + this.ttlMs;
    const justLoaded = due && (this.inflight !== undefined || this.lastError === null || now - this.attemptedAt >= RETRY_MS);
    if (justLoaded) await this.load();
    const usable = this.fetchedAt !== undefined && Date.now() < this.fetchedAt + this.ttlMs + STALE_IF_ERROR_MS;
    return { keys: usable ? this.keys : [], justLoaded };
  }

  /**
   * No key verified a signature: maybe the issuer published a new one. Re-fetches at most once
   * per interval, counted between such re-fetches only, so a key published just after a
   * scheduled load is picked up at once. True when a re-fetch ran (and `current()` may differ).
   */
  async refetchAfterSignatureFailure(): Promise<boolean> {
    const now = Date.now();
    if (!this.inflight && this.refetchedAt !== undefined && now - this.refetchedAt < this.refetchIntervalMs) return false;
    if (!this.inflight) this.refetchedAt = now;
    await this.load();
    return true;
  }

  /** Loads the keys when due (readiness); reports how many can verify tokens now. */
  async readiness(): Promise<IssuerReadiness> {
    const { keys } = await this.current();
    return { issuer: this.issuer, keys: keys.length, lastError: this.lastError };
  }

  /** Single flight; a failure keeps the last good keys (served up to STALE_IF_ERROR_MS past the TTL). Never throws. */
  private load(): Promise<void> {
    this.inflight ??= this.fetchKeys().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private async fetchKeys(): Promise<void> {
    this.attemptedAt = Date.now();
    try {
      const jwksUri = await discoverJwksUri(this.issuer);
      const res = await fetch(jwksUri, { headers: outboundTraceHeaders(), redirect: 'manual', signal: AbortSignal.timeout(ISSUER_FETCH_TIMEOUT_MS) });
      if (res.status !== 200) throw new Error(`${jwksUri.href} answered ${res.status}`);
      const keys = await importVerificationKeys(await res.json().catch(() => undefined));
      if (keys.length === 0) throw new Error(`${jwksUri.href} lists no usable RS256 signing key`);
      this.keys = keys;
      this.fetchedAt = Date.now();
      this.lastError = null;
    } catch (error) {
      this.lastError = reasonOf(error);
    }
  }
}

const SIGNATURE_MISMATCH = Symbol('no key verifies the signature');

/**
 * Tries every key, whatever the token's `kid` says. A key whose signature fails is skipped;
 * any other failure (claims, shape) means the token itself is wrong: it is refused at once.
 */
async function verifyWithEveryKey(token: string, keys: readonly CryptoKey[], options: JWTVerifyOptions): Promise<Record<string, unknown> | typeof SIGNATURE_MISMATCH> {
  for (const key of keys) {
    try {
      return (await jwtVerify(token, key, options)).payload;
    } catch (error) {
      if (!(error instanceof errors.JWSSignatureVerificationFailed)) throw error;
    }
  }
  return SIGNATURE_MISMATCH;
}

export async function startKidBlindGateway(options: KidBlindGatewayOptions): Promise<LoopbackServer> {
  const ttlMs = (options.ttlSeconds ?? 300) * 1000;
  const refetchMs = (options.refetchIntervalSeconds ?? 15) * 1000;
  const issuers = new Map(options.issuers.map((issuer) => [issuer, new IssuerKeys(issuer, ttlMs, refetchMs)]));
  const trusted = new Set(issuers.keys());

  const verify = async (token: string) => {
    const issuer = claimedTrustedIssuer(token, trusted);
    if (issuer === undefined) return undefined;
    try {
      // A token of another algorithm, or unreadable, is refused before any key is loaded or re-fetched.
      if (decodeProtectedHeader(token).alg !== AI_TOKEN.ALGORITHM) return undefined;
      const keys = issuers.get(issuer)!;
      const rules = verifyOptions(issuer, CLOCK_TOLERANCE_SECONDS);
      const { keys: known, justLoaded } = await keys.current();
      let result = await verifyWithEveryKey(token, known, rules);
      if (result === SIGNATURE_MISMATCH && !justLoaded && (await keys.refetchAfterSignatureFailure())) {
        result = await verifyWithEveryKey(token, (await keys.current()).keys, rules);
      }
      return result === SIGNATURE_MISMATCH ? undefined : result;
    } catch {
      return undefined;
    }
  };

  return startGatewayDouble({
    authenticate: (req) => authenticateCompletions(req, verify),
    complete: answerFromModel(options.modelUrl),
    readiness: () => Promise.all([...issuers.values()].map((k) => k.readiness())),
  });
}
