import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../../contracts/src/index.js';

/** The compiled entry point as the launcher runs it (needs `npx tsc -p tsconfig.build.json` first, as `npm test` does). */
const MAIN = join(projectRoot(), 'dist', 'apps', 'gitlab', 'src', 'main.js');

function run(args: string[], env: Record<string, string> = {}): ChildProcess {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build first with 'npx tsc -p tsconfig.build.json'`);
  // A clean environment: the runner's own PORT or GITLAB_* must not leak into the child.
  return spawn(process.execPath, [MAIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
}

/** Resolves with the first JSON log line whose msg is `listening`. */
function listeningLine(child: ChildProcess): Promise<{ url: string; issuer: string; mode: string }> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      for (const line of buffer.split('\n')) {
        if (!line.includes('"msg":"listening"')) continue;
        resolve(JSON.parse(line) as { url: string; issuer: string; mode: string });
      }
    });
    child.on('exit', (code) => reject(new Error(`exited with ${code} before listening`)));
  });
}

describe('compiled gitlab main', () => {
  it('starts with --mode saas --port 0, logs the URL, serves /-/health and stops on SIGTERM', async () => {
    const child = run(['--mode', 'saas', '--port', '0']);
    const exit = exitOf(child);
    try {
      const line = await listeningLine(child);
      expect(line.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(line).toMatchObject({ issuer: line.url, mode: 'saas' });
      const health = await fetch(`${line.url}/-/health`);
      expect([health.status, await health.text()]).toEqual([200, 'GitLab OK']);
      const discovery = (await (await fetch(`${line.url}/.well-known/openid-configuration`)).json()) as { issuer: string };
      expect(discovery.issuer).toBe(line.url);
      expect((await fetch(`${line.url}/-/harness/keys`)).status).toBe(404);
    } finally {
      child.kill('SIGTERM');
    }
    // Nest closes the app, then re-raises the signal: the process ends by SIGTERM (or exits 0).
    const ended = await exit;
    expect(ended.code === 0 || ended.signal === 'SIGTERM').toBe(true);
    expect(ended.stderr).toBe('');
  });

  it('exits 78 naming a bad variable', async () => {
    const { code, stderr } = await exitOf(run(['--port', 'eighty']));
    expect(code).toBe(78);
    expect(stderr).toContain('PORT:');
  });

  it('exits 78 naming SAAS_URL when self-managed lacks it', async () => {
    const { code, stderr } = await exitOf(run(['--mode', 'self-managed', '--port', '0']));
    expect(code).toBe(78);
    expect(stderr).toContain('SAAS_URL: is required when GITLAB_MODE is self-managed');
  });

  it('exits 78 on an unknown flag', async () => {
    const { code, stderr } = await exitOf(run(['--colour', 'blue']));
    expect(code).toBe(78);
    expect(stderr).toContain('--mode');
  });

  it('prints every variable and flag with its default and description on --help, and exits 0 without listening', async () => {
    const child = run(['--help']);
    let stdout = '';
    child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
    const { code, stderr } = await exitOf(child);
    expect([code, stderr]).toEqual([0, '']);
    expect(stdout.split('\n')[0]).toMatch(/^gitlab: the emulated GitLab/);
    for (const names of ['GITLAB_MODE, --mode', 'PORT, --port', 'HOST, --host', 'GITLAB_URL, --url', 'GITLAB_SEED_FILE, --seed', 'AI_TOKEN_SHAPE, --ai-token-shape', 'SAAS_URL, --saas-url', 'SAAS_TIMEOUT_MS, --saas-timeout-ms', 'LOG_LEVEL, --log-level', 'HEADERS_TIMEOUT_MS, --headers-timeout-ms', 'REQUEST_TIMEOUT_MS, --request-timeout-ms']) {
      expect(stdout).toContain(`  ${names} `);
    }
    expect(stdout).toMatch(/GITLAB_MODE, --mode +\(default: saas\)/);
    expect(stdout).toMatch(/PORT, --port +\(default: 3001 \(saas\), 3000 \(self-managed\)\)/);
    expect(stdout).toMatch(/SAAS_TIMEOUT_MS, --saas-timeout-ms +\(default: 10000\)\n +bound on one relay to SaaS/);
    // Secrets have a variable only: a flag would show them in `ps`.
    expect(stdout).toMatch(/\n  HARNESS_CONTROL_TOKEN +\(default: unset\)/);
    expect(stdout).toMatch(/\n  SIGNING_KEY_FILE +\(default: a fresh 2048-bit key per start\)/);
    expect(stdout).toContain('AI_TOKEN_AUDIENCE: was replaced by AI_TOKEN_SHAPE');
  });
});
