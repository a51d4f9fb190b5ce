/**
 * fake-model: the harness's deterministic code-completion model (POST /v1/completions).
 *
 * | variable              | flag          | default   | meaning                                          |
 * |-----------------------|---------------|-----------|--------------------------------------------------|
 * | PORT                  | --port        | 5053      | listen port (0 = any free port)                  |
 * | HOST                  | --host        | 127.0.0.1 | listen address                                   |
 * | FAKE_MODEL_LATENCY_MS | --latency-ms  | 0         | delay added to every completion                  |
 * | HARNESS_CONTROL_TOKEN | (none)        | unset     | enables the /-/harness control API (>= 16 chars) |
 * | LOG_LEVEL             | --log-level   | info      | fatal, error, warn, info, debug, trace, silent   |
 * | HEADERS_TIMEOUT_MS    | --headers-timeout-ms | 10000 | request headers must arrive within this, 100..600000 ms and at most REQUEST_TIMEOUT_MS; else 408 and the connection is closed |
 * | REQUEST_TIMEOUT_MS    | --request-timeout-ms | 30000 | the whole request, body included, must arrive within this, 100..600000 ms; 408 comes at most 1 s after the bound |
 *
 * Flags override variables. A bad value stops start-up with exit code 78 naming every problem.
 */
import 'reflect-metadata';
import { createLogger, flagsToSource, httpTimeoutsOf, RequestLog, runMain, startHttpApp } from '../../common/src/index.js';
import { FakeModelModule } from './app.module.js';
import { FAKE_MODEL_FLAGS, loadFakeModelConfig } from './config.js';

/**
 * Request bodies up to 8 MiB. fake-model-request.schema.json counts characters (prompt and suffix
 * up to 200000 each), the limit counts bytes: at worst every character arrives \u-escaped, 12
 * bytes for one outside the BMP, so the largest schema-valid request is about 4.8 MB and must
 * never get 413.
 */
const BODY_LIMIT_BYTES = 8 * 1024 * 1024;

await runMain('fake-model', async () => {
  const flags = flagsToSource('fake-model', process.argv.slice(2), FAKE_MODEL_FLAGS);
  const config = loadFakeModelConfig({ ...process.env, ...flags });
  const logger = createLogger({ app: 'fake-model', level: config.LOG_LEVEL });
  const requestLog = new RequestLog();
  const { url, port } = await startHttpApp({
    module: FakeModelModule.forRoot(config, { logger, requestLog }),
    logger,
    bodyLimit: BODY_LIMIT_BYTES,
    host: config.HOST,
    port: config.PORT,
    requestLog,
    timeouts: httpTimeoutsOf(config),
  });
  logger.info({ url, port, controlApi: config.HARNESS_CONTROL_TOKEN !== undefined }, 'listening');
});
