/**
 * The emulated GitLab (SaaS or self-managed): identity, personal access tokens, browser
 * sessions, OIDC discovery + JWKS, POST /api/v4/code_suggestions/tokens (minted on SaaS,
 * relayed to SAAS_URL with the stored service access token on self-managed, seed 001) and the
 * admin API GET/PUT /api/v4/application/settings (code_suggestions_enabled, ai_access_token).
 *
 *   node dist/apps/gitlab/src/main.js --mode saas --port 0
 *
 * Configuration (environment variable / flag: default). Flags win over the environment;
 * a bad value stops start-up naming the variable (exit 78).
 *   GITLAB_MODE / --mode        saas | self-managed                      saas
 *   PORT / --port               listen port (0 = any free port)          3001 (saas), 3000 (self-managed)
 *   HOST / --host               listen address                           127.0.0.1
 *   GITLAB_URL / --url          external URL = OIDC issuer, `iss`        http://<host>:<bound port>
 *   GITLAB_SEED_FILE / --seed   seed data (users, groups, tokens, flags) contracts/fixtures/demo-data.yaml
 *   SIGNING_KEY_FILE            PKCS#8 PEM RSA private key (>= 2048 bit)  a fresh 2048-bit key per start
 *   AI_TOKEN_SHAPE / --ai-token-shape
 *                               generation of the AI access token:       cloud-connector
 *                               seed-000 (aud gitlab-code-suggestions, registered claims only),
 *                               seed-002 (aud gitlab-ai-gateway, realm, scopes, no sub, no kid),
 *                               cloud-connector (sub = instance UUID, realm, scopes, kid)
 *   AI_TOKEN_INCLUDE_KID        true | false: overrides the shape's kid   unset (the shape decides)
 *   (AI_TOKEN_AUDIENCE was replaced by AI_TOKEN_SHAPE and is refused.)
 *   SAAS_URL / --saas-url       SaaS URL to relay to (self-managed only)  required in self-managed mode
 *   SAAS_TIMEOUT_MS / --saas-timeout-ms
 *                               bound on one relay to SaaS, 1..600000 ms  10000 (then 504)
 *   HARNESS_CONTROL_TOKEN       enables the harness control API (>= 16 chars; never in production)
 *                                                                         unset (no control API)
 *   LOG_LEVEL                   fatal|error|warn|info|debug|trace|silent  info
 *   HEADERS_TIMEOUT_MS / --headers-timeout-ms
 *                               request headers must arrive within this,  10000
 *                               100..600000 ms, at most REQUEST_TIMEOUT_MS (else 408, connection closed)
 *   REQUEST_TIMEOUT_MS / --request-timeout-ms
 *                               the whole request, body included, within  30000
 *                               this, 100..600000 ms (408 at most 1 s after the bound)
 *
 * Logs are JSON lines on stdout; once listening it logs {"msg":"listening","url":...}.
 */
import { RequestLog, createLogger, flagsToSource, runMain } from '../../common/src/index.js';
import { APP_NAME, GITLAB_FLAGS, loadGitlabConfig } from './config.js';
import { startGitlab } from './gitlab.app.js';

void runMain(APP_NAME, async () => {
  const flags = flagsToSource(APP_NAME, process.argv.slice(2), GITLAB_FLAGS);
  const config = loadGitlabConfig({ ...process.env, ...flags });
  const logger = createLogger({ app: APP_NAME, level: config.logLevel });
  const running = await startGitlab(config, { logger, requestLog: new RequestLog() });
  logger.info({ url: running.url, issuer: running.issuer, mode: config.mode, controlApi: Boolean(config.controlToken) }, 'listening');
});
