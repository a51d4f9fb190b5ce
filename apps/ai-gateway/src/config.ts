import { z } from 'zod';
import { AUDIENCE, DEFAULT_PORT, isLoopbackHost, isSerializedOrigin } from '#contracts';
import { checkHttpTimeouts, type ConfigOf, type ConfigSource, configFields, defineConfig, loadConfig, serverSettings } from '#common';
import { OAUTH_VERIFICATION_MODES, type OAuthVerificationMode } from './auth/oauth-token-introspection.js';
import { MAX_REFUSED_ENTRIES } from './auth/oauth-token-cache.js';

/** Asymmetric JWS algorithms only: `none` and HMAC (HS*) can never be configured (RFC 8725 §3.1-3.2). */
const ALGORITHM = /^(RS|PS|ES)(256|384|512)$/;

/** An integer variable within [min, max] (the unit is in its name: _SECONDS, _MS, _BYTES). */
const bounded = (fallback: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(fallback);

/** The issuer without one terminating '/', the form two spellings of the same issuer share. */
export function issuerWithoutTrailingSlash(issuer: string): string {
  return issuer.endsWith('/') ? issuer.slice(0, -1) : issuer;
}

/**
 * Comma-separated issuer URLs, kept as written. Discovery's `issuer` must name the same issuer,
 * up to one terminating '/' (see JwksCache); two entries that differ only by it are one issuer.
 */
const issuerList = z
  .string({ error: 'required: comma-separated URLs of the trusted token issuers (each must serve /.well-known/openid-configuration)' })
  .transform((raw, ctx) => {
    const issuers = [...new Set(raw.split(',').map((s) => s.trim()).filter(Boolean))];
    if (issuers.length === 0) ctx.addIssue({ code: 'custom', message: 'names no issuer' });
    for (const issuer of issuers) {
      let url: URL | undefined;
      try {
        url = new URL(issuer);
      } catch {
        url = undefined;
      }
      if (!url || !/^https?:$/.test(url.protocol) || url.search || url.hash) {
        ctx.addIssue({ code: 'custom', message: `'${issuer}' is not an http(s) issuer URL without query or fragment` });
      }
    }
    const seen = new Map<string, string>();
    for (const issuer of issuers) {
      const other = seen.get(issuerWithoutTrailingSlash(issuer));
      if (other !== undefined) ctx.addIssue({ code: 'custom', message: `'${other}' and '${issuer}' name the same issuer (they differ only by a trailing '/')` });
      seen.set(issuerWithoutTrailingSlash(issuer), issuer);
    }
    return issuers;
  });

const algorithmList = z
  .string()
  .default('RS256')
  .transform((raw, ctx) => {
    const algorithms = [...new Set(raw.split(',').map((s) => s.trim()).filter(Boolean))];
    if (algorithms.length === 0) ctx.addIssue({ code: 'custom', message: 'names no algorithm' });
    for (const alg of algorithms) {
      if (!ALGORITHM.test(alg)) {
        ctx.addIssue({ code: 'custom', message: `'${alg}' is not allowed: only RS256/384/512, PS256/384/512 and ES256/384/512 (never none or HS*)` });
      }
    }
    return algorithms;
  });

/**
 * Comma-separated origins browsers may call the gateway from (CORS), each exactly as a browser
 * sends it in `Origin`; `*` is refused: list the IDE origins, nothing wider.
 */
const originList = z
  .string()
  .default('')
  .transform((raw, ctx) => {
    const origins = [...new Set(raw.split(',').map((s) => s.trim()).filter(Boolean))];
    for (const origin of origins) {
      if (origin === '*') ctx.addIssue({ code: 'custom', message: "'*' is not allowed: list the origins of the browser IDEs (e.g. the Web IDE's editor frame)" });
      else if (!isSerializedOrigin(origin)) {
        ctx.addIssue({ code: 'custom', message: `'${origin}' is not an origin: http(s)://host[:port], lower-case, without path or trailing slash` });
      }
    }
    return origins;
  });

/** The AI gateway's settings: the variables and flags users set, the camelCase keys the app reads. */
export const aiGatewaySettings = defineConfig({
  app: 'ai-gateway',
  settings: {
    trustedIssuers: {
      env: 'AIGW_TRUSTED_ISSUERS',
      flag: 'trusted-issuers',
      doc: "comma-separated issuer URLs; each is read by OIDC discovery, whose `issuer` must name it (up to one trailing '/'); tokens' `iss` must be spelled as discovery spells it",
      schema: issuerList,
    },
    audience: { env: 'AIGW_AUDIENCE', flag: 'audience', doc: "audience a token's aud must contain", schema: z.string().min(1).max(255).default(AUDIENCE.AI_GATEWAY) },
    legacyAudienceWindow: {
      env: 'AIGW_LEGACY_AUDIENCE_WINDOW',
      flag: 'legacy-audience-window',
      doc: 'open: gitlab-code-suggestions also accepted, and a scopes-less token of exactly the legacy claim shape counts as ["code_suggestions"] (seed 002); closed: refused',
      schema: z.enum(['open', 'closed']).default('open'),
    },
    algorithms: { env: 'AIGW_ALGORITHMS', flag: 'algorithms', doc: 'comma-separated; only RS*, PS*, ES* (never none or HS*)', schema: algorithmList },
    clockSkewSeconds: {
      env: 'AIGW_CLOCK_SKEW_SECONDS',
      flag: 'clock-skew-seconds',
      doc: 'leeway for exp/nbf, 0..300 s (GitLab sets nbf = iat - 5 s)',
      schema: bounded(30, 0, 300),
    },
    verifiedTokenCacheEntries: {
      env: 'AIGW_VERIFIED_TOKEN_CACHE_ENTRIES',
      flag: 'verified-token-cache-entries',
      doc: "tokens kept once verified, so a repeated token skips the RSA check; a hit is re-checked for exp/nbf, the verifying key still published and the policy unchanged; 0 verifies every token every time",
      schema: bounded(10_000, 0, 1_000_000),
    },
    jwksTtlSeconds: { env: 'AIGW_JWKS_TTL_SECONDS', flag: 'jwks-ttl-seconds', doc: "keys are fresh this long (GitLab's JWKS max-age)", schema: bounded(86_400, 1, 604_800) },
    jwksRefetchIntervalMs: {
      env: 'AIGW_JWKS_REFETCH_INTERVAL_MS',
      flag: 'jwks-refetch-interval-ms',
      doc: 'unknown kid: its token waits for a JWKS re-fetch that starts after it arrived, shared by all such tokens, at most one per issuer per interval (a new key is accepted on its first token, at most one interval later; forged kids cannot use that up)',
      schema: bounded(1000, 0, 60_000),
    },
    jwksNegativeCacheSeconds: {
      env: 'AIGW_JWKS_NEGATIVE_CACHE_SECONDS',
      flag: 'jwks-negative-cache-seconds',
      doc: 'a kid a re-fetch found absent is refused at once, without fetch or wait, this long (1024 kids per issuer)',
      schema: bounded(30, 0, 3600),
    },
    jwksColdRetryMs: {
      env: 'AIGW_JWKS_COLD_RETRY_MS',
      flag: 'jwks-cold-retry-ms',
      doc: 'an issuer with no usable key is retried (by the next token or readiness probe) after this long: keystrokes recover at most this long after it is back',
      schema: bounded(1000, 0, 60_000),
    },
    jwksErrorBackoffSeconds: {
      env: 'AIGW_JWKS_ERROR_BACKOFF_SECONDS',
      flag: 'jwks-error-backoff-seconds',
      doc: 'no new attempt this long after a failed fetch while the last good keys still serve',
      schema: bounded(10, 0, 3600),
    },
    jwksStaleIfErrorSeconds: {
      env: 'AIGW_JWKS_STALE_IF_ERROR_SECONDS',
      flag: 'jwks-stale-if-error-seconds',
      doc: 'last good keys keep serving this long past the TTL while fetches fail (discovery naming another issuer included)',
      schema: bounded(3600, 0, 604_800),
    },
    jwksFetchTimeoutMs: {
      env: 'AIGW_JWKS_FETCH_TIMEOUT_MS',
      flag: 'jwks-fetch-timeout-ms',
      doc: 'timeout of each discovery/JWKS request, body included',
      schema: bounded(3000, 1, 60_000),
    },
    jwksMaxBytes: {
      env: 'AIGW_JWKS_MAX_BYTES',
      flag: 'jwks-max-bytes',
      doc: 'largest discovery or JWKS body read; a larger one is a failed fetch',
      schema: bounded(256 * 1024, 1024, 16 * 1024 * 1024),
    },
    corsAllowedOrigins: {
      env: 'AIGW_CORS_ALLOWED_ORIGINS',
      flag: 'cors-allowed-origins',
      doc: "comma-separated origins browser IDEs may call from (CORS: POST with Authorization and the X-Gitlab-* headers; preflights answered before authentication), e.g. the Web IDE's editor frame; never '*'",
      schema: originList,
      shownDefault: 'none (no CORS headers)',
    },
    authGuard: {
      env: 'AIGW_AUTH_GUARD',
      flag: 'auth-guard',
      doc: 'how the per-keystroke authentication is wired, for the benchmark (npm run bench measures each): direct (a Fastify hook on the completion and chat routes, the Nest guard on the others) or passport (the same checks as a @nestjs/passport strategy in a Nest guard), both answering alike; benchmark-bypass verifies NOTHING (every request passes as a token with every unit primitive) to measure the cost of auth, and is refused unless HOST is a loopback address',
      schema: z.enum(['direct', 'passport', 'benchmark-bypass']).default('direct'),
    },
    oauthTokenVerification: {
      env: 'AIGW_OAUTH_TOKEN_VERIFICATION',
      flag: 'oauth-token-verification',
      doc: "seed 000 option 1, opaque OAuth access tokens sent with X-Gitlab-Authentication-Type: oauth2: off (refused as an unknown type, as GitLab's gateway does); token-info: GET <AIGW_OAUTH_GITLAB_URL>/oauth/token/info with the token (what GitLab serves); introspection: RFC 7662 POST <AIGW_OAUTH_GITLAB_URL>/oauth/introspect with AIGW_OAUTH_CLIENT_ID/AIGW_OAUTH_CLIENT_SECRET (GitLab has none; the emulator does)",
      schema: z.enum(OAUTH_VERIFICATION_MODES).default('off'),
    },
    oauthGitlabUrl: {
      env: 'AIGW_OAUTH_GITLAB_URL',
      flag: 'oauth-gitlab-url',
      doc: 'base URL of the GitLab that issued the OAuth tokens (redirects are never followed); required with more than one trusted issuer',
      schema: configFields.url().optional(),
      shownDefault: 'the trusted issuer, when AIGW_TRUSTED_ISSUERS names exactly one',
    },
    oauthClientId: {
      env: 'AIGW_OAUTH_CLIENT_ID',
      flag: 'oauth-client-id',
      doc: "the gateway's client_id at the introspection endpoint (RFC 7662 §2.1, client_secret_basic); introspection only",
      schema: z.string().min(1).max(255).optional(),
    },
    oauthClientSecret: {
      env: 'AIGW_OAUTH_CLIENT_SECRET',
      doc: "the gateway's client secret at the introspection endpoint; introspection only. No flag: a secret stays out of `ps`",
      schema: z.string().min(1).max(1024).optional(),
    },
    oauthCacheSeconds: {
      env: 'AIGW_OAUTH_CACHE_SECONDS',
      flag: 'oauth-cache-seconds',
      doc: "an active OAuth token is trusted from memory this long after GitLab said so, never past its expiry: a revoked token is refused at most this long after its revocation (0: ask GitLab on every keystroke)",
      schema: bounded(30, 0, 300),
    },
    oauthNegativeCacheSeconds: {
      env: 'AIGW_OAUTH_NEGATIVE_CACHE_SECONDS',
      flag: 'oauth-negative-cache-seconds',
      doc: `an OAuth token GitLab refused is refused without asking again this long (${MAX_REFUSED_ENTRIES} tokens, oldest out); keep it short: a token GitLab has just issued may be unknown to a lagging replica (0: not remembered)`,
      schema: bounded(5, 0, 60),
    },
    oauthCacheMaxEntries: {
      env: 'AIGW_OAUTH_CACHE_MAX_ENTRIES',
      flag: 'oauth-cache-max-entries',
      doc: 'most active OAuth tokens remembered, least recently used out first (keys are SHA-256 hashes, never tokens)',
      schema: bounded(10_000, 1, 1_000_000),
    },
    oauthLookupsPerSecond: {
      env: 'AIGW_OAUTH_LOOKUPS_PER_SECOND',
      flag: 'oauth-lookups-per-second',
      doc: 'back-channel calls started at most this many a second for tokens not in the cache (a flood of forged tokens costs GitLab no more); past it such a token gets 503 with Retry-After',
      schema: bounded(50, 1, 10_000),
    },
    oauthTimeoutMs: {
      env: 'AIGW_OAUTH_TIMEOUT_MS',
      flag: 'oauth-timeout-ms',
      doc: 'timeout of each back-channel call, body included -> 503',
      schema: bounded(2000, 1, 60_000),
    },
    oauthMaxBytes: {
      env: 'AIGW_OAUTH_MAX_BYTES',
      flag: 'oauth-max-bytes',
      doc: 'largest back-channel answer read; a larger one is a failed call -> 503',
      schema: bounded(16 * 1024, 1024, 1024 * 1024),
    },
    modelUrl: { env: 'AIGW_MODEL_URL', flag: 'model-url', doc: 'base URL of the model (POST <url>/v1/completions; Duo Chat: POST <url>/v1/chat/completions)', schema: configFields.url() },
    modelTimeoutMs: { env: 'AIGW_MODEL_TIMEOUT_MS', flag: 'model-timeout-ms', doc: 'model call timeout -> 504', schema: bounded(10_000, 1, 600_000) },
    modelMaxResponseBytes: {
      env: 'AIGW_MODEL_MAX_RESPONSE_BYTES',
      flag: 'model-max-response-bytes',
      doc: 'largest model answer read -> else 502',
      schema: bounded(1024 * 1024, 1024, 64 * 1024 * 1024),
    },
    ...serverSettings(DEFAULT_PORT['ai-gateway']),
  },
  removed: {
    AIGW_JWKS_MIN_REFETCH_SECONDS:
      'removed; use AIGW_JWKS_REFETCH_INTERVAL_MS (unknown-kid re-fetches) and AIGW_JWKS_ERROR_BACKOFF_SECONDS (after a failed fetch)',
  },
  refine: [checkHttpTimeouts, checkOAuthSettings, checkBenchmarkBypass],
});

/** The benchmark's bypass never listens where anything but this machine could reach it. */
function checkBenchmarkBypass(c: { authGuard: string; host: string }, problem: (key: 'authGuard', message: string) => void): void {
  if (c.authGuard === 'benchmark-bypass' && !isLoopbackHost(c.host)) {
    problem('authGuard', `benchmark-bypass verifies no token: only for a gateway listening on loopback (HOST is '${c.host}')`);
  }
}

/**
 * GitLab's base URL for the OAuth back channel: AIGW_OAUTH_GITLAB_URL, else the one trusted
 * issuer (GitLab's OIDC issuer is its base URL), else undefined (a configuration error when
 * option 1 is on: checkOAuthSettings).
 */
export function oauthGitlabUrlOf(config: { oauthGitlabUrl?: string | undefined; trustedIssuers: readonly string[] }): string | undefined {
  if (config.oauthGitlabUrl !== undefined) return config.oauthGitlabUrl;
  return config.trustedIssuers?.length === 1 ? issuerWithoutTrailingSlash(config.trustedIssuers[0]!) : undefined;
}

/** Option 1 on needs a GitLab to ask; introspection also needs the gateway's client credentials. */
function checkOAuthSettings(
  c: { oauthTokenVerification: OAuthVerificationMode; oauthGitlabUrl?: string | undefined; trustedIssuers: readonly string[]; oauthClientId?: string | undefined; oauthClientSecret?: string | undefined },
  problem: (key: 'oauthGitlabUrl' | 'oauthClientId' | 'oauthClientSecret', message: string) => void,
): void {
  // Refinements also run when a field failed its own check: only a valid mode that is on counts.
  if (c.oauthTokenVerification !== 'token-info' && c.oauthTokenVerification !== 'introspection') return;
  if (Array.isArray(c.trustedIssuers) && oauthGitlabUrlOf(c) === undefined) {
    problem('oauthGitlabUrl', `required with AIGW_OAUTH_TOKEN_VERIFICATION=${c.oauthTokenVerification} when AIGW_TRUSTED_ISSUERS names more than one issuer: which GitLab issued the OAuth tokens?`);
  }
  if (c.oauthTokenVerification === 'introspection') {
    if (c.oauthClientId === undefined) problem('oauthClientId', 'required with AIGW_OAUTH_TOKEN_VERIFICATION=introspection (RFC 7662 §2.1: the caller authenticates)');
    if (c.oauthClientSecret === undefined) problem('oauthClientSecret', 'required with AIGW_OAUTH_TOKEN_VERIFICATION=introspection (RFC 7662 §2.1: the caller authenticates)');
  }
}

export type AiGatewayConfig = ConfigOf<typeof aiGatewaySettings.settings>;

export function loadAiGatewayConfig(source: ConfigSource): AiGatewayConfig {
  return loadConfig(aiGatewaySettings, source);
}
