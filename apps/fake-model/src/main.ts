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
 *
 * Flags override variables. A bad value stops start-up with exit code 78 naming every problem.
 */
import 'reflect-metadata';
import { createLogger, flagsToSource, RequestLog, runMain, startHttpApp } from '../../common/src/index.js';
import { FakeModelModule } from './app.module.js';
import { FAKE_MODEL_FLAGS, loadFakeModelConfig } from './config.js';

await runMain('fake-model', async () => {
  const flags = flagsToSource('fake-model', process.argv.slice(2), FAKE_MODEL_FLAGS);
  const config = loadFakeModelConfig({ ...process.env, ...flags });
  const logger = createLogger({ app: 'fake-model', level: config.LOG_LEVEL });
  const requestLog = new RequestLog();
  const { url, port } = await startHttpApp({
    module: FakeModelModule.forRoot(config, { logger, requestLog }),
    logger,
    host: config.HOST,
    port: config.PORT,
    requestLog,
  });
  logger.info({ url, port, controlApi: config.HARNESS_CONTROL_TOKEN !== undefined }, 'listening');
});
