/**
 * Gateway double (a): an AI gateway built the way jose's documentation suggests, with
 * `createRemoteJWKSet` at its DEFAULT options per trusted issuer (a new `kid` re-fetches the
 * JWKS at most once per 30 s cooldown; keys older than the 10 min max age are re-fetched before
 * use) and `jwtVerify`. Correct, yet unlike our gateway in its cache policy, so a suite that
 * passes only our own cache would fail here (issue 6 §2). No harness control API. Test-only.
 */
import { createRemoteJWKSet, customFetch, errors, jwtVerify, type CryptoKey, type FetchImplementation, type JWTVerifyOptions, type JWTVerifyResult } from 'jose';
import { answerFromModel, authenticateCompletions, startGatewayDouble, type IssuerReadiness } from './gateway-contract.js';
import type { LoopbackServer } from '#common/testing/loopback';
import { outboundTraceHeaders } from './trace-context.js';
import { claimedTrustedIssuer, discoverJwksUri, reasonOf, verifyOptions } from './trusted-issuers.js';

export interface JoseRemoteGatewayOptions {
  /** Trusted issuer URLs, exactly as their tokens' `iss` and their discovery documents name them. */
  issuers: readonly string[];
  /** The fake model's base URL: an authenticated keystroke is completed by POST <modelUrl>/v1/completions. */
  modelUrl: string;
}

/** Leeway on `exp`/`nbf`: small, since GitLab already backdates `nbf` by 5 s (access_token.rb L7, L19). */
const CLOCK_TOLERANCE_SECONDS = 5;
/** After a failed discovery, the next use retries it no sooner than this: a down issuer is not hit per keystroke. */
const DISCOVERY_RETRY_MS = 1000;

type RemoteKeySet = ReturnType<typeof createRemoteJWKSet>;

/**
 * jose's fetch with the trace headers of the moment added, as OpenTelemetry's fetch
 * instrumentation would (jose's `headers` option is fixed at creation); jose's own headers are
 * copied, never changed, since it reuses them for every fetch.
 */
const tracedFetch: FetchImplementation = (url, init) => {
  const headers = new Headers(init.headers);
  for (const [name, value] of Object.entries(outboundTraceHeaders())) headers.set(name, value);
  return fetch(url, { ...init, headers });
};

/** One issuer's remote key set, created from its discovery document at first use. */
class IssuerKeySet {
  private keySet: RemoteKeySet | undefined;
  private discovering: Promise<RemoteKeySet> | undefined;
  private failedAt = 0;
  lastError: string | null = null;

  constructor(readonly issuer: string) {}

  /** The key set; throws while discovery fails (retried at the next use after DISCOVERY_RETRY_MS). */
  async get(): Promise<RemoteKeySet> {
    if (this.keySet) return this.keySet;
    if (!this.discovering && Date.now() - this.failedAt < DISCOVERY_RETRY_MS) throw new Error(this.lastError ?? 'discovery failed');
    this.discovering ??= discoverJwksUri(this.issuer)
      .then((jwksUri) => (this.keySet = createRemoteJWKSet(jwksUri, { [customFetch]: tracedFetch })))
      .catch((error: unknown) => {
        this.failedAt = Date.now();
        this.lastError = reasonOf(error);
        throw error;
      })
      .finally(() => (this.discovering = undefined));
    return this.discovering;
  }

  /** Loads the keys when none are (readiness); reports how many are held. */
  async readiness(): Promise<IssuerReadiness> {
    try {
      const keySet = await this.get();
      if (!keySet.jwks()) await keySet.reload();
      this.lastError = null;
    } catch (error) {
      this.lastError = reasonOf(error);
    }
    return { issuer: this.issuer, keys: this.keySet?.jwks()?.keys.length ?? 0, lastError: this.lastError };
  }
}

/**
 * jose's documented handling of a token without `kid` when several keys fit: the
 * JWKSMultipleMatchingKeys error iterates over them, and the first that verifies wins.
 */
async function verifyWithKeySet(token: string, keySet: RemoteKeySet, options: JWTVerifyOptions): Promise<JWTVerifyResult> {
  try {
    return await jwtVerify(token, keySet, options);
  } catch (error) {
    if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw error;
    for await (const key of error as errors.JWKSMultipleMatchingKeys & AsyncIterable<CryptoKey>) {
      try {
        return await jwtVerify(token, key, options);
      } catch (inner) {
        if (!(inner instanceof errors.JWSSignatureVerificationFailed)) throw inner;
      }
    }
    throw new errors.JWSSignatureVerificationFailed();
  }
}

export async function startJoseRemoteGateway(options: JoseRemoteGatewayOptions): Promise<LoopbackServer> {
  const keySets = new Map(options.issuers.map((issuer) => [issuer, new IssuerKeySet(issuer)]));
  const trusted = new Set(keySets.keys());

  const verify = async (token: string) => {
    const issuer = claimedTrustedIssuer(token, trusted);
    if (issuer === undefined) return undefined;
    try {
      const keySet = await keySets.get(issuer)!.get();
      return (await verifyWithKeySet(token, keySet, verifyOptions(issuer, CLOCK_TOLERANCE_SECONDS))).payload;
    } catch {
      return undefined;
    }
  };

  return startGatewayDouble({
    authenticate: (req) => authenticateCompletions(req, verify),
    complete: answerFromModel(options.modelUrl),
    readiness: () => Promise.all([...keySets.values()].map((k) => k.readiness())),
  });
}
