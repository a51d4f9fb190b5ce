import { z } from 'zod';
import { AUDIENCE, DEFAULT_PORT } from '../../../contracts/src/index.js';
import { checkHttpTimeouts, configFields, HTTP_TIMEOUT_FLAGS, httpTimeoutFields, loadConfig, type ConfigSource } from '../../common/src/index.js';

/** Asymmetric JWS algorithms only: `none` and HMAC (HS*) can never be configured (RFC 8725 §3.1-3.2). */
const ALGORITHM = /^(RS|PS|ES)(256|384|512)$/;

/** An integer variable within [min, max] (the unit is in its name: _SECONDS, _MS, _BYTES). */
const bounded = (fallback: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(fallback);

/** A variable that no longer exists: setting it is an error that names its replacements, never silently ignored. */
const removed = (replacement: string) => z.never({ error: `removed; use ${replacement}` }).optional();

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

/** Environment variables of the AI gateway (main.ts maps the CLI flags onto them). */
export const aiGatewayConfigSchema = z.object({
  PORT: configFields.port(DEFAULT_PORT['ai-gateway']),
  HOST: configFields.host(),
  AIGW_TRUSTED_ISSUERS: issuerList,
  AIGW_AUDIENCE: z.string().min(1).max(255).default(AUDIENCE.AI_GATEWAY),
  AIGW_LEGACY_AUDIENCE_WINDOW: z.enum(['open', 'closed']).default('open'),
  AIGW_ALGORITHMS: algorithmList,
  AIGW_CLOCK_SKEW_SECONDS: bounded(30, 0, 300),
  AIGW_JWKS_TTL_SECONDS: bounded(86_400, 1, 604_800),
  AIGW_JWKS_REFETCH_INTERVAL_MS: bounded(1000, 0, 60_000),
  AIGW_JWKS_NEGATIVE_CACHE_SECONDS: bounded(30, 0, 3600),
  AIGW_JWKS_COLD_RETRY_MS: bounded(1000, 0, 60_000),
  AIGW_JWKS_ERROR_BACKOFF_SECONDS: bounded(10, 0, 3600),
  AIGW_JWKS_STALE_IF_ERROR_SECONDS: bounded(3600, 0, 604_800),
  AIGW_JWKS_FETCH_TIMEOUT_MS: bounded(3000, 1, 60_000),
  AIGW_JWKS_MAX_BYTES: bounded(256 * 1024, 1024, 16 * 1024 * 1024),
  AIGW_JWKS_MIN_REFETCH_SECONDS: removed('AIGW_JWKS_REFETCH_INTERVAL_MS (unknown-kid re-fetches) and AIGW_JWKS_ERROR_BACKOFF_SECONDS (after a failed fetch)'),
  AIGW_MODEL_URL: configFields.url(),
  AIGW_MODEL_TIMEOUT_MS: bounded(10_000, 1, 600_000),
  AIGW_MODEL_MAX_RESPONSE_BYTES: bounded(1024 * 1024, 1024, 64 * 1024 * 1024),
  HARNESS_CONTROL_TOKEN: configFields.controlToken(),
  LOG_LEVEL: configFields.logLevel(),
  ...httpTimeoutFields(),
}).superRefine(checkHttpTimeouts);

export type AiGatewayConfig = z.infer<typeof aiGatewayConfigSchema>;

/** CLI flag -> variable. The control token has no flag: secrets stay out of `ps` output. */
export const AI_GATEWAY_FLAGS: Record<string, string> = {
  port: 'PORT',
  host: 'HOST',
  'trusted-issuers': 'AIGW_TRUSTED_ISSUERS',
  audience: 'AIGW_AUDIENCE',
  'legacy-audience-window': 'AIGW_LEGACY_AUDIENCE_WINDOW',
  algorithms: 'AIGW_ALGORITHMS',
  'clock-skew-seconds': 'AIGW_CLOCK_SKEW_SECONDS',
  'jwks-ttl-seconds': 'AIGW_JWKS_TTL_SECONDS',
  'jwks-refetch-interval-ms': 'AIGW_JWKS_REFETCH_INTERVAL_MS',
  'jwks-negative-cache-seconds': 'AIGW_JWKS_NEGATIVE_CACHE_SECONDS',
  'jwks-cold-retry-ms': 'AIGW_JWKS_COLD_RETRY_MS',
  'jwks-error-backoff-seconds': 'AIGW_JWKS_ERROR_BACKOFF_SECONDS',
  'jwks-stale-if-error-seconds': 'AIGW_JWKS_STALE_IF_ERROR_SECONDS',
  'jwks-fetch-timeout-ms': 'AIGW_JWKS_FETCH_TIMEOUT_MS',
  'jwks-max-bytes': 'AIGW_JWKS_MAX_BYTES',
  'model-url': 'AIGW_MODEL_URL',
  'model-timeout-ms': 'AIGW_MODEL_TIMEOUT_MS',
  'model-max-response-bytes': 'AIGW_MODEL_MAX_RESPONSE_BYTES',
  'log-level': 'LOG_LEVEL',
  ...HTTP_TIMEOUT_FLAGS,
};

export function loadAiGatewayConfig(source: ConfigSource): AiGatewayConfig {
  return loadConfig('ai-gateway', aiGatewayConfigSchema, source);
}
