/**
 * Cold verification on one core, in process (tinybench): each iteration verifies a token the
 * verifier has not seen before through the gateway's own TokenVerifier (keys loaded, as on
 * every keystroke after the first), against the physical limit, node:crypto's RS256
 * verification of the same tokens with a pre-imported key.
 */
import { execFile } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, verify as cryptoVerify } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SignJWT, exportJWK } from 'jose';
import { Bench } from 'tinybench';
import { AUDIENCE } from '#contracts';
import { AuthSettings } from '../../apps/ai-gateway/src/auth/auth-settings.js';
import { JwksCache, jwksCacheOptions } from '../../apps/ai-gateway/src/auth/jwks-cache.js';
import { TokenVerifier } from '../../apps/ai-gateway/src/auth/token-verifier.js';
import { loadAiGatewayConfig } from '../../apps/ai-gateway/src/config.js';

const ISSUER = 'https://gitlab.bench.test';
const KID = 'bench-key';
/** Distinct tokens: more than any run verifies, so none is seen twice (no cache anywhere can help). */
const TOKENS = 20_000;

export interface OperationFigures {
  opsPerSecond: number;
  p99Us: number;
}

export interface VerificationFigures {
  verifier: OperationFigures;
  crypto: OperationFigures;
  /** verifier / crypto operations per second. */
  ratio: number;
  /**
   * The verifier with IN_FLIGHT verifications at once, as a gateway under load runs them (jose
   * verifies through WebCrypto, a thread-pool job per token: one at a time leaves the core
   * waiting between jobs). Tokens per second, on the core(s) the process may use.
   */
  verifierInFlight: { inFlight: number; opsPerSecond: number };
  /** verifierInFlight / crypto operations per second. */
  inFlightRatio: number;
}

/** Verifications at once in the in-flight figure. */
const IN_FLIGHT = 16;
const IN_FLIGHT_MS = 2000;

const WORKER = fileURLToPath(new URL('./verification-worker.js', import.meta.url));

/**
 * measureVerification in a process of its own, pinned to `core` with taskset(1) from its start
 * when `pin` (both sides, and WebCrypto's thread pool, then share that one core).
 */
export async function measureVerificationPinned(pin: boolean, core = 0): Promise<VerificationFigures> {
  const command = pin ? 'taskset' : process.execPath;
  const args = pin ? ['-c', String(core), process.execPath, WORKER] : [WORKER];
  const { stdout } = await promisify(execFile)(command, args, { maxBuffer: 1024 * 1024, timeout: 180_000 });
  return JSON.parse(stdout) as VerificationFigures;
}

export async function measureVerification(): Promise<VerificationFigures> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...(await exportJWK(publicKey)), kid: KID, use: 'sig', alg: 'RS256' };
  const now = Math.floor(Date.now() / 1000);
  const tokens = await Promise.all(
    Array.from({ length: TOKENS }, (_, i) =>
      new SignJWT({ scopes: ['code_suggestions'], gitlab_realm: 'saas' })
        .setProtectedHeader({ alg: 'RS256', kid: KID, typ: 'JWT' })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE.AI_GATEWAY)
        .setSubject(`instance-${i}`)
        .setJti(`bench-${i}`)
        .setIssuedAt(now)
        .setExpirationTime(now + 3600)
        .sign(privateKey),
    ),
  );

  // The issuer's documents, served without a network.
  const documents: Record<string, unknown> = {
    [`${ISSUER}/.well-known/openid-configuration`]: { issuer: ISSUER, jwks_uri: `${ISSUER}/oauth/discovery/keys` },
    [`${ISSUER}/oauth/discovery/keys`]: { keys: [jwk] },
  };
  const fetch = async (input: string | URL | Request): Promise<Response> => {
    const body = documents[String(input instanceof Request ? input.url : input)];
    return body ? Response.json(body) : new Response('not found', { status: 404 });
  };
  const config = loadAiGatewayConfig({ AIGW_TRUSTED_ISSUERS: ISSUER, AIGW_MODEL_URL: 'http://127.0.0.1:9' });
  const settings = new AuthSettings(config);
  const cache = new JwksCache(jwksCacheOptions(config, { fetch, clock: Date.now }));
  await cache.ensureLoaded();
  const verifier = new TokenVerifier(settings, cache, Date.now);
  const first = await verifier.verify(tokens[0]!);
  if (!first.ok) throw new Error(`the bench token was refused: ${first.reason}`);

  const key = createPublicKey({ key: jwk, format: 'jwk' });
  const signed = tokens.map((t) => {
    const dot = t.lastIndexOf('.');
    return { data: Buffer.from(t.slice(0, dot)), signature: Buffer.from(t.slice(dot + 1), 'base64url') };
  });

  let i = 0;
  let j = 0;
  const bench = new Bench({ time: 3000, warmupTime: 500 });
  bench
    .add('TokenVerifier', async () => {
      const result = await verifier.verify(tokens[i++ % TOKENS]!);
      if (!result.ok) throw new Error(result.reason);
    })
    .add('node:crypto RS256', () => {
      const { data, signature } = signed[j++ % TOKENS]!;
      if (!cryptoVerify('RSA-SHA256', data, key, signature)) throw new Error('signature did not verify');
    });
  await bench.run();
  const inFlight = await verificationsPerSecondInFlight(verifier, tokens);
  cache.close();
  const figures = (name: string): OperationFigures => {
    const task = bench.getTask(name);
    const result = task?.result as { throughput?: { mean: number }; latency?: { p99?: number } } | undefined;
    if (!result?.throughput || !result.latency) throw new Error(`tinybench has no result for ${name}`);
    return { opsPerSecond: result.throughput.mean, p99Us: (result.latency.p99 ?? Number.NaN) * 1000 };
  };
  const verifierFigures = figures('TokenVerifier');
  const cryptoFigures = figures('node:crypto RS256');
  return {
    verifier: verifierFigures,
    crypto: cryptoFigures,
    ratio: verifierFigures.opsPerSecond / cryptoFigures.opsPerSecond,
    verifierInFlight: { inFlight: IN_FLIGHT, opsPerSecond: inFlight },
    inFlightRatio: inFlight / cryptoFigures.opsPerSecond,
  };
}

/** Tokens per second through `verifier` with IN_FLIGHT verifications always pending, for IN_FLIGHT_MS. */
async function verificationsPerSecondInFlight(verifier: TokenVerifier, tokens: readonly string[]): Promise<number> {
  let next = 0;
  let done = 0;
  const started = performance.now();
  const end = started + IN_FLIGHT_MS;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < end) {
        const result = await verifier.verify(tokens[next++ % tokens.length]!);
        if (!result.ok) throw new Error(result.reason);
        done++;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}
