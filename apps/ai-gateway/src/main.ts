/**
 * ai-gateway: the AI gateway emulator. Verifies GitLab's AI access tokens (OIDC discovery +
 * cached JWKS, RS256, iss/aud/exp/nbf, header binding, unit-primitive scopes) and answers
 * POST /v2/code/completions from the model at AIGW_MODEL_URL.
 *
 * | variable                         | flag                          | default           | meaning |
 * |----------------------------------|-------------------------------|-------------------|---------|
 * | PORT                             | --port                        | 5052              | listen port (0 = any free port) |
 * | HOST                             | --host                        | 127.0.0.1         | listen address |
 * | AIGW_TRUSTED_ISSUERS             | --trusted-issuers             | (required)        | comma-separated issuer URLs; each is read by OIDC discovery and must name itself exactly |
 * | AIGW_AUDIENCE                    | --audience                    | gitlab-ai-gateway | audience a token's aud must contain |
 * | AIGW_LEGACY_AUDIENCE_WINDOW      | --legacy-audience-window      | open              | open: gitlab-code-suggestions also accepted, scopes-less legacy tokens count as ["code_suggestions"] (seed 002); closed: refused |
 * | AIGW_ALGORITHMS                  | --algorithms                  | RS256             | comma-separated; only RS*, PS*, ES* (never none or HS*) |
 * | AIGW_CLOCK_SKEW_SECONDS          | --clock-skew-seconds          | 30                | leeway for exp/nbf, 0..300 (GitLab sets nbf = iat - 5 s) |
 * | AIGW_JWKS_TTL_SECONDS            | --jwks-ttl-seconds            | 86400             | keys are fresh this long (GitLab's JWKS max-age) |
 * | AIGW_JWKS_MIN_REFETCH_SECONDS    | --jwks-min-refetch-seconds    | 10                | at most one unknown-kid re-fetch per issuer per interval; back-off after a failed fetch (1 s while no key is usable) |
 * | AIGW_JWKS_STALE_IF_ERROR_SECONDS | --jwks-stale-if-error-seconds | 3600              | last good keys keep serving this long past the TTL while fetches fail |
 * | AIGW_JWKS_FETCH_TIMEOUT_MS       | --jwks-fetch-timeout-ms       | 3000              | timeout of each discovery/JWKS request |
 * | AIGW_MODEL_URL                   | --model-url                   | (required)        | base URL of the model (POST <url>/v1/completions) |
 * | AIGW_MODEL_TIMEOUT_MS            | --model-timeout-ms            | 10000             | model call timeout -> 504 |
 * | HARNESS_CONTROL_TOKEN            | (none)                        | unset             | enables the /-/harness control API (>= 16 chars); never in production |
 * | LOG_LEVEL                        | --log-level                   | info              | fatal, error, warn, info, debug, trace, silent |
 *
 * Flags override variables. A bad or missing value stops start-up with exit code 78 naming
 * every problem.
 */
import 'reflect-metadata';
import { createLogger, flagsToSource, RequestLog, runMain, startHttpApp } from '../../common/src/index.js';
import { AiGatewayModule } from './app.module.js';
import { AI_GATEWAY_FLAGS, loadAiGatewayConfig } from './config.js';

await runMain('ai-gateway', async () => {
  const flags = flagsToSource('ai-gateway', process.argv.slice(2), AI_GATEWAY_FLAGS);
  const config = loadAiGatewayConfig({ ...process.env, ...flags });
  const logger = createLogger({ app: 'ai-gateway', level: config.LOG_LEVEL });
  const requestLog = new RequestLog();
  const { url, port } = await startHttpApp({
    module: AiGatewayModule.forRoot(config, { logger, requestLog }),
    logger,
    host: config.HOST,
    port: config.PORT,
    requestLog,
  });
  logger.info(
    { url, port, trustedIssuers: config.AIGW_TRUSTED_ISSUERS, audience: config.AIGW_AUDIENCE, controlApi: config.HARNESS_CONTROL_TOKEN !== undefined },
    'listening',
  );
});
