import { z } from 'zod';
import { AI_TOKEN_SHAPES, DEFAULT_AI_TOKEN_SHAPE, DEFAULT_PORT, contractPath } from '../../../contracts/src/index.js';
import { AI_TOKEN_SHAPE_AUDIENCES, AI_TOKEN_SHAPE_LIST, type AiTokenIssuerConfig } from './ai-access/ai-token-settings.service.js';
import { type ConfigSource, HTTP_TIMEOUT_FLAGS, type HttpTimeouts, checkHttpTimeouts, configFields, httpTimeoutFields, httpTimeoutsOf, loadConfig } from '../../common/src/index.js';

export const APP_NAME = 'gitlab';

export const GITLAB_MODES = ['saas', 'self-managed'] as const;
export type GitlabMode = (typeof GITLAB_MODES)[number];

/** Command-line flags and the variables they set (flags win over the environment). */
export const GITLAB_FLAGS: Record<string, string> = {
  mode: 'GITLAB_MODE',
  port: 'PORT',
  host: 'HOST',
  url: 'GITLAB_URL',
  seed: 'GITLAB_SEED_FILE',
  'saas-url': 'SAAS_URL',
  'saas-timeout-ms': 'SAAS_TIMEOUT_MS',
  'ai-token-shape': 'AI_TOKEN_SHAPE',
  ...HTTP_TIMEOUT_FLAGS,
};

/** How long a self-managed instance waits for SaaS when relaying a token request (seed 001). */
export const DEFAULT_SAAS_TIMEOUT_MS = 10_000;

/** Why AI_TOKEN_AUDIENCE is refused: the audience is part of the token generation now. */
export const REPLACED_AUDIENCE_MESSAGE = `was replaced by AI_TOKEN_SHAPE, which sets the audience with the rest of the token (${AI_TOKEN_SHAPE_AUDIENCES})`;

/** The typed configuration of one gitlab process (validated once, at start-up). */
export interface GitlabConfig {
  mode: GitlabMode;
  port: number;
  host: string;
  /** External URL (= OIDC issuer); unset means http://<host>:<bound port>, known after listen. */
  url?: string;
  seedFile: string;
  /** PKCS#8 PEM RSA private key; unset means a fresh 2048-bit key per start. */
  signingKeyFile?: string;
  /**
   * Issuer settings of the AI access token at start (the control API may change them at
   * runtime): the token generation, and a kid choice only when AI_TOKEN_INCLUDE_KID is set.
   */
  aiToken: AiTokenIssuerConfig;
  /** SaaS base URL a self-managed instance relays to (seed 001); required in self-managed mode. */
  saasUrl?: string;
  /** Bound on one relay to SaaS (connect, headers and body), in ms; then 504. */
  saasTimeoutMs: number;
  /** Enables the harness control API when set. */
  controlToken?: string;
  /** Bounds on receiving a request (HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS); then 408. */
  http: HttpTimeouts;
  logLevel: string;
}

const schema = z
  .object({
    GITLAB_MODE: z.enum(GITLAB_MODES, { message: "must be 'saas' or 'self-managed'" }).default('saas'),
    PORT: z.coerce.number().int().min(0).max(65535).optional(),
    HOST: configFields.host(),
    GITLAB_URL: configFields.url().optional(),
    GITLAB_SEED_FILE: z.string().min(1).optional(),
    SIGNING_KEY_FILE: z.string().min(1).optional(),
    AI_TOKEN_SHAPE: z
      .enum(AI_TOKEN_SHAPES, { message: `must be one of ${AI_TOKEN_SHAPE_LIST}` })
      .default(DEFAULT_AI_TOKEN_SHAPE),
    // Unset: the shape decides (AI_TOKEN_SHAPE_INFO[shape].kid); set: overrides it.
    AI_TOKEN_INCLUDE_KID: z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: "must be 'true' or 'false' (or unset: the shape's default)" })
      .transform((v) => v === 'true' || v === '1' || v === 'yes')
      .optional(),
    // Replaced by AI_TOKEN_SHAPE: refused rather than ignored, so an old set-up does not silently change tokens.
    AI_TOKEN_AUDIENCE: z.undefined({ message: REPLACED_AUDIENCE_MESSAGE }).optional(),
    // No user:password@ in the URL: fetch refuses such URLs, and the URL appears in error bodies.
    SAAS_URL: configFields
      .url()
      .refine((u) => !/^https?:\/\/[^/]*@/.test(u), { message: 'must not contain credentials (user:password@)' })
      .optional(),
    SAAS_TIMEOUT_MS: z.coerce
      .number({ message: 'must be a whole number of milliseconds' })
      .int({ message: 'must be a whole number of milliseconds' })
      .min(1, { message: 'must be at least 1' })
      .max(600_000, { message: 'must be at most 600000 (10 minutes)' })
      .default(DEFAULT_SAAS_TIMEOUT_MS),
    HARNESS_CONTROL_TOKEN: configFields.controlToken(),
    LOG_LEVEL: configFields.logLevel(),
    ...httpTimeoutFields(),
  })
  .superRefine((c, ctx) => {
    checkHttpTimeouts(c, ctx);
    if (c.GITLAB_MODE === 'self-managed' && !c.SAAS_URL) {
      ctx.addIssue({ code: 'custom', path: ['SAAS_URL'], message: 'is required when GITLAB_MODE is self-managed' });
    }
  })
  .transform(
    (c): GitlabConfig => ({
      mode: c.GITLAB_MODE,
      port: c.PORT ?? (c.GITLAB_MODE === 'saas' ? DEFAULT_PORT['gitlab-saas'] : DEFAULT_PORT['gitlab-sm']),
      host: c.HOST,
      url: c.GITLAB_URL,
      seedFile: c.GITLAB_SEED_FILE ?? contractPath('fixtures', 'demo-data.yaml'),
      signingKeyFile: c.SIGNING_KEY_FILE,
      aiToken: c.AI_TOKEN_INCLUDE_KID === undefined ? { shape: c.AI_TOKEN_SHAPE } : { shape: c.AI_TOKEN_SHAPE, includeKid: c.AI_TOKEN_INCLUDE_KID },
      saasUrl: c.SAAS_URL,
      saasTimeoutMs: c.SAAS_TIMEOUT_MS,
      controlToken: c.HARNESS_CONTROL_TOKEN,
      logLevel: c.LOG_LEVEL,
      http: httpTimeoutsOf(c),
    }),
  );

/** Validates environment variables (overridden by flags); throws ConfigError naming every bad one. */
export function loadGitlabConfig(source: ConfigSource): GitlabConfig {
  return loadConfig(APP_NAME, schema, source);
}
