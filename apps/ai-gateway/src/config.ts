import { z } from 'zod';
import { AUDIENCE, DEFAULT_PORT } from '../../../contracts/src/index.js';
import { configFields, loadConfig, type ConfigSource } from '../../common/src/index.js';

/** Asymmetric JWS algorithms only: `none` and HMAC (HS*) can never be configured (RFC 8725 §3.1-3.2). */
const ALGORITHM = /^(RS|PS|ES)(256|384|512)$/;

const seconds = (fallback: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(fallback);

/** Comma-separated issuer URLs, kept exactly as written: discovery must return the same string (OIDC Discovery §4.3). */
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
  AIGW_CLOCK_SKEW_SECONDS: seconds(30, 0, 300),
  AIGW_JWKS_TTL_SECONDS: seconds(86_400, 1, 604_800),
  AIGW_JWKS_MIN_REFETCH_SECONDS: seconds(10, 0, 3600),
  AIGW_JWKS_STALE_IF_ERROR_SECONDS: seconds(3600, 0, 604_800),
  AIGW_JWKS_FETCH_TIMEOUT_MS: z.coerce.number().int().min(1).max(60_000).default(3000),
  AIGW_MODEL_URL: configFields.url(),
  AIGW_MODEL_TIMEOUT_MS: z.coerce.number().int().min(1).max(600_000).default(10_000),
  HARNESS_CONTROL_TOKEN: configFields.controlToken(),
  LOG_LEVEL: configFields.logLevel(),
});

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
  'jwks-min-refetch-seconds': 'AIGW_JWKS_MIN_REFETCH_SECONDS',
  'jwks-stale-if-error-seconds': 'AIGW_JWKS_STALE_IF_ERROR_SECONDS',
  'jwks-fetch-timeout-ms': 'AIGW_JWKS_FETCH_TIMEOUT_MS',
  'model-url': 'AIGW_MODEL_URL',
  'model-timeout-ms': 'AIGW_MODEL_TIMEOUT_MS',
  'log-level': 'LOG_LEVEL',
};

export function loadAiGatewayConfig(source: ConfigSource): AiGatewayConfig {
  return loadConfig('ai-gateway', aiGatewayConfigSchema, source);
}
