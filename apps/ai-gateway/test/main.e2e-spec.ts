import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PATH, projectRoot } from '../../../contracts/src/index.js';

/**
 * The compiled entry points (`npx tsc -p tsconfig.build.json`, run by `npm test` first) start
 * from flags, listen on --port 0, stop on SIGTERM, and refuse a bad configuration with exit 78.
 */
const root = projectRoot();
const GATEWAY_MAIN = join(root, 'dist/apps/ai-gateway/src/main.js');
const MODEL_MAIN = join(root, 'dist/apps/fake-model/src/main.js');

function run(main: string, args: string[], env: Record<string, string> = {}): ChildProcessWithoutNullStreams {
  if (!existsSync(main)) throw new Error(`${main} is missing: build first (npx tsc -p tsconfig.build.json)`);
  // Only what the app needs: no variable of this shell leaks into its configuration.
  return spawn(process.execPath, [main, ...args], { cwd: root, env: { PATH: process.env.PATH ?? '', ...env } });
}

/** Resolves with the URL from the app's "listening" log line. */
function listeningUrl(child: ChildProcessWithoutNullStreams): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      for (const line of out.split('\n')) {
        if (!line.includes('listening"')) continue;
        const parsed = JSON.parse(line) as { url?: string };
        if (parsed.url) resolve(parsed.url);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`exited ${code} before listening: ${err}`)));
  });
}

function exitOf(child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, stderr })));
}

/** Nest's shutdown hook closes the app, then re-raises the signal: a clean stop ends by SIGTERM (or 0). */
const stoppedCleanly = ({ code, signal }: { code: number | null; signal: NodeJS.Signals | null }) => code === 0 || signal === 'SIGTERM';

describe('compiled entry points', () => {
  it('starts the fake model and the gateway on --port 0, serves health, and stops on SIGTERM', async () => {
    const model = run(MODEL_MAIN, ['--port', '0']);
    const modelUrl = await listeningUrl(model);
    const gateway = run(GATEWAY_MAIN, ['--port', '0', '--trusted-issuers', 'http://127.0.0.1:1', '--model-url', modelUrl, '--log-level', 'info']);
    try {
      const gatewayUrl = await listeningUrl(gateway);
      const health = await fetch(`${gatewayUrl}${PATH.GATEWAY_HEALTHZ}`);
      expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
      const modelHealth = await fetch(`${modelUrl}${PATH.MODEL_HEALTHZ}`);
      expect(modelHealth.status).toBe(200);
      // No issuer is reachable: not ready.
      expect((await fetch(`${gatewayUrl}${PATH.GATEWAY_READY}`)).status).toBe(503);
    } finally {
      const gatewayExit = exitOf(gateway);
      const modelExit = exitOf(model);
      gateway.kill('SIGTERM');
      model.kill('SIGTERM');
      expect(stoppedCleanly(await gatewayExit)).toBe(true);
      expect(stoppedCleanly(await modelExit)).toBe(true);
    }
  });

  it('fails start-up with exit 78 naming AIGW_TRUSTED_ISSUERS when it is missing', async () => {
    const { code, stderr } = await exitOf(run(GATEWAY_MAIN, ['--port', '0', '--model-url', 'http://127.0.0.1:1']));
    expect(code).toBe(78);
    expect(stderr).toContain('AIGW_TRUSTED_ISSUERS');
  });

  it('fails start-up with exit 78 for a forbidden algorithm, naming it', async () => {
    const { code, stderr } = await exitOf(run(GATEWAY_MAIN, ['--port', '0'], { AIGW_TRUSTED_ISSUERS: 'http://127.0.0.1:1', AIGW_MODEL_URL: 'http://127.0.0.1:1', AIGW_ALGORITHMS: 'HS256' }));
    expect(code).toBe(78);
    expect(stderr).toMatch(/AIGW_ALGORITHMS: 'HS256' is not allowed/);
  });

  it('fails fake-model start-up with exit 78 for a bad latency', async () => {
    const { code, stderr } = await exitOf(run(MODEL_MAIN, ['--latency-ms', 'slow']));
    expect(code).toBe(78);
    expect(stderr).toContain('FAKE_MODEL_LATENCY_MS');
  });

  it.each([
    [GATEWAY_MAIN, [/^ai-gateway: /, /AIGW_TRUSTED_ISSUERS, --trusted-issuers +\(default: \(required\)\)/, /AIGW_JWKS_COLD_RETRY_MS, --jwks-cold-retry-ms +\(default: 1000\)\n +an issuer with no usable key/, /AIGW_JWKS_MIN_REFETCH_SECONDS: removed; use/]],
    [MODEL_MAIN, [/^fake-model: /, /FAKE_MODEL_LATENCY_MS, --latency-ms +\(default: 0\)\n +delay added to every completion/, /PORT, --port +\(default: 5053\)/]],
  ])('%s --help lists the settings with their defaults and descriptions, and exits 0', async (main, expected) => {
    const child = run(main, ['--help']);
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const { code, stderr } = await exitOf(child);
    expect([code, stderr]).toEqual([0, '']);
    for (const pattern of expected) expect(stdout).toMatch(pattern);
  });
});
