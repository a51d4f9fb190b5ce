/**
 * The one way apps' tests run an app in-process: its defineApp() start() on a free loopback port,
 * configured from environment-style settings as main() would be, its log lines kept. Process-level
 * tests (the compiled entry points, the embedded stack) live in test/ and use the runner's
 * launcher (scenarios/runner/stack).
 */
import { Writable } from 'node:stream';
import { HEADER } from '#contracts';
import type { App, AppDeps } from '../app-definition.js';
import type { RunningHttpApp } from '../bootstrap.js';
import type { ConfigSource, ServerConfig } from '../config.js';
import { createLogger, type Logger } from '../logger.js';

/** The control token tests start apps with (HARNESS_CONTROL_TOKEN); at least 16 characters, as the config requires. */
export const TEST_CONTROL_TOKEN = 'test-control-token-0123456789abcdef';

/** A logger whose JSON lines are kept in `lines`, one entry per line. */
export function captureLogger(app: string, level: string): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  let partial = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const parts = (partial + chunk.toString('utf8')).split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts.filter(Boolean));
      done();
    },
  });
  return { logger: createLogger({ app, level, destination }), lines };
}

export interface TestApp<C> extends RunningHttpApp {
  config: C;
  /** Every log line so far, at the configured LOG_LEVEL (silent unless the test sets one). */
  lines: string[];
  /** Calls the harness control API with TEST_CONTROL_TOKEN: `path` in full (`/-/harness/keys`), `body` sent as JSON. */
  control(method: string, path: string, body?: unknown): Promise<Response>;
  close(): Promise<void>;
}

/**
 * Starts `app` on 127.0.0.1, port 0, from `env` (variables as main() reads them) over these
 * defaults: LOG_LEVEL silent and the control API on with TEST_CONTROL_TOKEN (give
 * `HARNESS_CONTROL_TOKEN: undefined` for an app without it). `deps` adds the app's fakes (a
 * clock, an outbound fetch). Throws the app's ConfigError for a bad setting.
 */
export async function startTestApp<C extends ServerConfig, D extends AppDeps>(
  app: App<C, D>,
  env: ConfigSource = {},
  deps: Omit<D, 'logger'> = {} as Omit<D, 'logger'>,
): Promise<TestApp<C>> {
  const config = app.definition.load({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', HARNESS_CONTROL_TOKEN: TEST_CONTROL_TOKEN, ...env });
  const { logger, lines } = captureLogger(app.definition.name, config.logLevel);
  const running = await app.start(config, { ...deps, logger } as D);
  return {
    ...running,
    config,
    lines,
    control: (method, path, body) =>
      fetch(`${running.url}${path}`, {
        method,
        headers: { [HEADER.HARNESS_CONTROL]: TEST_CONTROL_TOKEN, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    close: () => running.app.close(),
  };
}
