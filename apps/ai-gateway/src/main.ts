/**
 * ai-gateway: the AI gateway emulator. Verifies GitLab's AI access tokens (OIDC discovery +
 * cached JWKS, RS256, iss/aud/exp/nbf, header binding, unit-primitive scopes) and answers
 * POST /v2/code/completions from the model at AIGW_MODEL_URL.
 *
 * | variable                         | flag                          | default           | meaning |
 * |----------------------------------|-------------------------------|-------------------|---------|
 * | PORT                             | --port                        | 5052              | listen port (0 = any free port) |
 * | HOST                             | --host                        | 127.0.0.1         | listen address |
 * | AIGW_TRUSTED_ISSUERS             | --trusted-issuers             | (required)        | comma-separated issuer URLs; each is read by OIDC discovery, whose `issuer` must name it (up to one trailing '/'); tokens' `iss` must be spelled as discovery spells it |
 * | AIGW_AUDIENCE                    | --audience                    | gitlab-ai-gateway | audience a token's aud must contain |
 * | AIGW_LEGACY_AUDIENCE_WINDOW      | --legacy-audience-window      | open              | open: gitlab-code-suggestions also accepted, and a scopes-less token of exactly the legacy claim shape counts as ["code_suggestions"] (seed 002); closed: refused |
 * | AIGW_ALGORITHMS                  | --algorithms                  | RS256             | comma-separated; only RS*, PS*, ES* (never none or HS*) |
 * | AIGW_CLOCK_SKEW_SECONDS          | --clock-skew-seconds          | 30                | leeway for exp/nbf, 0..300 (GitLab sets nbf = iat - 5 s) |
 * | AIGW_JWKS_TTL_SECONDS            | --jwks-ttl-seconds            | 86400             | keys are fresh this long (GitLab's JWKS max-age) |
 * | AIGW_JWKS_REFETCH_INTERVAL_MS    | --jwks-refetch-interval-ms    | 1000              | unknown kid: its token waits for a JWKS re-fetch that starts after it arrived, shared by all such tokens, at most one per issuer per interval (a new key is accepted on its first token, at most one interval later; forged kids cannot use that up) |
 * | AIGW_JWKS_NEGATIVE_CACHE_SECONDS | --jwks-negative-cache-seconds | 30                | a kid a re-fetch found absent is refused at once, without fetch or wait, this long (1024 kids per issuer) |
 * | AIGW_JWKS_COLD_RETRY_MS          | --jwks-cold-retry-ms          | 1000              | an issuer with no usable key is retried (by the next token or readiness probe) after this long: keystrokes recover at most this long after it is back |
 * | AIGW_JWKS_ERROR_BACKOFF_SECONDS  | --jwks-error-backoff-seconds  | 10                | no new attempt this long after a failed fetch while the last good keys still serve |
 * | AIGW_JWKS_STALE_IF_ERROR_SECONDS | --jwks-stale-if-error-seconds | 3600              | last good keys keep serving this long past the TTL while fetches fail (discovery naming another issuer included) |
 * | AIGW_JWKS_FETCH_TIMEOUT_MS       | --jwks-fetch-timeout-ms       | 3000              | timeout of each discovery/JWKS request, body included |
 * | AIGW_JWKS_MAX_BYTES              | --jwks-max-bytes              | 262144            | largest discovery or JWKS body read; a larger one is a failed fetch |
 * | AIGW_MODEL_URL                   | --model-url                   | (required)        | base URL of the model (POST <url>/v1/completions) |
 * | AIGW_MODEL_TIMEOUT_MS            | --model-timeout-ms            | 10000             | model call timeout -> 504 |
 * | AIGW_MODEL_MAX_RESPONSE_BYTES    | --model-max-response-bytes    | 1048576           | largest model answer read -> else 502 |
 * | HARNESS_CONTROL_TOKEN            | (none)                        | unset             | enables the /-/harness control API (>= 16 chars); never in production |
 * | LOG_LEVEL                        | --log-level                   | info              | fatal, error, warn, info, debug, trace, silent |
 * | HEADERS_TIMEOUT_MS               | --headers-timeout-ms          | 10000             | request headers must arrive within this, 100..600000 ms and at most REQUEST_TIMEOUT_MS; else 408 and the connection is closed |
 * | REQUEST_TIMEOUT_MS               | --request-timeout-ms          | 30000             | the whole request, body included, must arrive within this, 100..600000 ms; 408 comes at most 1 s after the bound |
 *
 * Flags override variables. A bad or missing value stops start-up with exit code 78 naming
 * every problem; so does the removed AIGW_JWKS_MIN_REFETCH_SECONDS (now
 * AIGW_JWKS_REFETCH_INTERVAL_MS and AIGW_JWKS_ERROR_BACKOFF_SECONDS).
 */
import 'reflect-metadata';
import { createLogger, flagsToSource, httpTimeoutsOf, RequestLog, runMain, startHttpApp } from '../../common/src/index.js';
import { AiGatewayModule } from './app.module.js';
import { AI_GATEWAY_FLAGS, loadAiGatewayConfig } from './config.js';

/**
 * Request bodies up to 4 MiB. completions-request.schema.json counts characters
 * (content_above_cursor and content_below_cursor up to 100000 each), the limit counts bytes: at
 * worst every character arrives \u-escaped, 12 bytes for one outside the BMP, so the bounded
 * members of a schema-valid request come to about 2.4 MB and must never get 413.
 */
const BODY_LIMIT_BYTES = 4 * 1024 * 1024;

await runMain('ai-gateway', async () => {
  const flags = flagsToSource('ai-gateway', process.argv.slice(2), AI_GATEWAY_FLAGS);
  const config = loadAiGatewayConfig({ ...process.env, ...flags });
  const logger = createLogger({ app: 'ai-gateway', level: config.LOG_LEVEL });
  const requestLog = new RequestLog();
  const { url, port } = await startHttpApp({
    module: AiGatewayModule.forRoot(config, { logger, requestLog }),
    logger,
    bodyLimit: BODY_LIMIT_BYTES,
    host: config.HOST,
    port: config.PORT,
    requestLog,
    timeouts: httpTimeoutsOf(config),
  });
  logger.info(
    { url, port, trustedIssuers: config.AIGW_TRUSTED_ISSUERS, audience: config.AIGW_AUDIENCE, controlApi: config.HARNESS_CONTROL_TOKEN !== undefined },
    'listening',
  );
});
