import { createLogger } from '../../../common/src/index.js';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PATH, projectRoot } from '../../../../contracts/src/index.js';
import { aiGateway } from '../../src/app.js';
import { loadAiGatewayConfig } from '../../src/config.js';

export const CONTROL_TOKEN = 'ai-gateway-e2e-control-token';

export interface RunningApp {
  url: string;
  close(): Promise<void>;
}

/**
 * The gateway on port 0, configured like `main.ts` would be from the environment. With
 * `logLines`, every log line (level trace) is captured there.
 */
export async function startGateway(env: Record<string, string>, logLines?: string[]): Promise<RunningApp> {
  const config = loadAiGatewayConfig({ PORT: '0', LOG_LEVEL: 'silent', ...env });
  const logger = logLines
    ? createLogger({ app: 'ai-gateway', level: 'trace', destination: { write: (line: string) => void logLines.push(line) } })
    : createLogger({ app: 'ai-gateway', level: 'silent' });
  const { app, url } = await aiGateway.start(config, { logger });
  return { url, close: () => app.close() };
}

/**
 * The fake model as its own process (the compiled entry point; `npm test` builds first), on a
 * free port: apps never import one another, the gateway reaches the model over HTTP only.
 */
export async function startFakeModel(): Promise<RunningApp> {
  const main = join(projectRoot(), 'dist/apps/fake-model/src/main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: build first (npx tsc -p tsconfig.build.json)`);
  const port = await closedPort();
  const child = spawn(process.execPath, [main, '--port', String(port), '--host', '127.0.0.1'], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', HARNESS_CONTROL_TOKEN: CONTROL_TOKEN },
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the fake model exited with ${child.exitCode} before answering`);
    try {
      if ((await fetch(`${url}${PATH.MODEL_HEALTHZ}`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('the fake model did not become healthy within 15 s');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    close: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
