import { z } from 'zod';
import { AI_TOKEN_SHAPES, DEFAULT_AI_TOKEN_SHAPE, DEFAULT_PORT, OAUTH_REGISTRATION_MODES, contractPath } from '#contracts';
import { AI_TOKEN_SHAPE_AUDIENCES, AI_TOKEN_SHAPE_LIST } from './ai-access/ai-token-settings.service.js';
import { type ConfigOf, type ConfigSource, checkHttpTimeouts, configFields, defineConfig, loadConfig, serverSettings } from '#common';
import { webIdeSettings } from './web-ide/web-ide-settings.js';

export const APP_NAME = 'gitlab';

export const GITLAB_MODES = ['saas', 'self-managed'] as const;
export type GitlabMode = (typeof GITLAB_MODES)[number];

/** How long a self-managed instance waits for SaaS when relaying a token request (seed 001). */
export const DEFAULT_SAAS_TIMEOUT_MS = 10_000;

/** Why AI_TOKEN_AUDIENCE is refused: the audience is part of the token generation now. */
export const REPLACED_AUDIENCE_MESSAGE = `was replaced by AI_TOKEN_SHAPE, which sets the audience with the rest of the token (${AI_TOKEN_SHAPE_AUDIENCES})`;

/** The gitlab app's settings: the variables and flags users set, the camelCase keys the app reads. */
export const gitlabSettings = defineConfig({
  app: APP_NAME,
  settings: {
    mode: {
      env: 'GITLAB_MODE',
      flag: 'mode',
      doc: 'saas or self-managed (one codebase, two deployments, as GitLab itself)',
      schema: z.enum(GITLAB_MODES, { message: "must be 'saas' or 'self-managed'" }).default('saas'),
    },
    url: {
      env: 'GITLAB_URL',
      flag: 'url',
      doc: 'external URL: the OIDC issuer and the `iss` of every token',
      schema: configFields.url().optional(),
      shownDefault: 'http://<host>:<bound port>',
    },
    seedFile: {
      env: 'GITLAB_SEED_FILE',
      flag: 'seed',
      doc: 'seed data (users, groups, tokens, flags), validated against contracts/schemas/demo-fixture.schema.json',
      schema: z.string().min(1).optional(),
      shownDefault: 'contracts/fixtures/demo-data.yaml',
    },
    signingKeyFile: {
      env: 'SIGNING_KEY_FILE',
      doc: 'PKCS#8 PEM RSA private key (at least 2048 bits)',
      schema: z.string().min(1).optional(),
      shownDefault: 'a fresh 2048-bit key per start',
    },
    aiTokenShape: {
      env: 'AI_TOKEN_SHAPE',
      flag: 'ai-token-shape',
      doc: 'generation of the AI access token: seed-000 (aud gitlab-code-suggestions, registered claims only), seed-002 (aud gitlab-ai-gateway, realm, scopes, no sub, no kid), cloud-connector (sub = instance UUID, realm, scopes, kid)',
      schema: z.enum(AI_TOKEN_SHAPES, { message: `must be one of ${AI_TOKEN_SHAPE_LIST}` }).default(DEFAULT_AI_TOKEN_SHAPE),
    },
    aiTokenIncludeKid: {
      env: 'AI_TOKEN_INCLUDE_KID',
      doc: "true or false: overrides the shape's kid choice",
      schema: z
        .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: "must be 'true' or 'false' (or unset: the shape's default)" })
        .transform((v) => v === 'true' || v === '1' || v === 'yes')
        .optional(),
      shownDefault: 'unset (the shape decides)',
    },
    saasUrl: {
      env: 'SAAS_URL',
      flag: 'saas-url',
      doc: 'SaaS URL a self-managed instance relays token requests to (seed 001); required in self-managed mode',
      // No user:password@ in the URL: fetch refuses such URLs, and the URL appears in error bodies.
      schema: configFields
        .url()
        .refine((u) => !/^https?:\/\/[^/]*@/.test(u), { message: 'must not contain credentials (user:password@)' })
        .optional(),
    },
    saasTimeoutMs: {
      env: 'SAAS_TIMEOUT_MS',
      flag: 'saas-timeout-ms',
      doc: 'bound on one relay to SaaS, 1..600000 ms (then 504)',
      schema: z.coerce
        .number({ message: 'must be a whole number of milliseconds' })
        .int({ message: 'must be a whole number of milliseconds' })
        .min(1, { message: 'must be at least 1' })
        .max(600_000, { message: 'must be at most 600000 (10 minutes)' })
        .default(DEFAULT_SAAS_TIMEOUT_MS),
    },
    oauthRegistrationMode: {
      env: 'OAUTH_REGISTRATION_MODE',
      flag: 'oauth-registration-mode',
      doc: "how POST /oauth/register answers: rfc7591 (RFC 7591 with RFC 7592 management) or gitlab (GitLab's own: a public PKCE client with scope mcp, no registration access token)",
      schema: z.enum(OAUTH_REGISTRATION_MODES, { message: "must be 'rfc7591' or 'gitlab'" }).default('rfc7591'),
    },
    oauthStoreMaxEntries: {
      env: 'OAUTH_STORE_MAX_ENTRIES',
      flag: 'oauth-store-max-entries',
      doc: 'bound on what the OAuth server holds (tokens, codes, grants, sessions, applications), 100..10000000; expired entries are dropped first, live ones never (503 temporarily_unavailable when full of live ones)',
      schema: z.coerce
        .number({ message: 'must be a whole number' })
        .int({ message: 'must be a whole number' })
        .min(100, { message: 'must be at least 100' })
        .max(10_000_000, { message: 'must be at most 10000000' })
        .default(1_000_000),
    },
    ...webIdeSettings,
    ...serverSettings(0),
    // The default depends on the mode (loadGitlabConfig).
    port: { env: 'PORT', flag: 'port', doc: 'listen port (0 = any free port)', schema: configFields.port().optional(), shownDefault: '3001 (saas), 3000 (self-managed)' },
  },
  // Replaced by AI_TOKEN_SHAPE: refused rather than ignored, so an old set-up does not silently change tokens.
  removed: { AI_TOKEN_AUDIENCE: REPLACED_AUDIENCE_MESSAGE },
  refine: [
    checkHttpTimeouts,
    (c, problem) => {
      if (c.mode === 'self-managed' && !c.saasUrl) problem('saasUrl', 'is required when GITLAB_MODE is self-managed');
    },
  ],
});

/** The typed configuration of one gitlab process (validated once, at start-up); the port and seed file resolved by mode. */
export type GitlabConfig = Omit<ConfigOf<typeof gitlabSettings.settings>, 'port' | 'seedFile'> & { port: number; seedFile: string };

/** Validates environment variables (overridden by flags); throws ConfigError naming every bad one. */
export function loadGitlabConfig(source: ConfigSource): GitlabConfig {
  const config = loadConfig(gitlabSettings, source);
  return {
    ...config,
    port: config.port ?? (config.mode === 'saas' ? DEFAULT_PORT['gitlab-saas'] : DEFAULT_PORT['gitlab-sm']),
    seedFile: config.seedFile ?? contractPath('fixtures', 'demo-data.yaml'),
  };
}
