/** Helpers of the end-to-end tests in test/: compiled entry points, free ports, processes. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PATH, projectRoot } from '../contracts/src/index.js';
import { freePort } from '../scenarios/runner/stack/ports.js';

export const root = projectRoot();

export function compiled(relative: string): string {
  const path = join(root, 'dist', relative);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` first (npm test does)`);
  return path;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `ai-auth-harness-${prefix}-`));
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the compiled CLI to completion, as a user would from a shell. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [compiled('scenarios/runner/cli.js'), ...args], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface Started {
  url: string;
  stop(): Promise<void>;
}

/** Starts a compiled app and waits until its health URL answers 2xx. */
export async function startApp(app: string, args: string[], env: Record<string, string>, health: string): Promise<Started> {
  const port = Number(args[args.indexOf('--port') + 1]);
  const child: ChildProcess = spawn(process.execPath, [compiled(`apps/${app}/src/main.js`), ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${app} exited with ${child.exitCode}: ${stderr}`);
    try {
      if ((await fetch(`${url}${health}`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${app} did not answer ${health} within 20 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The compiled emulators on free loopback ports, as tests start them outside the runner. */
export const emulators = {
  async saas(env: Record<string, string> = {}): Promise<Started> {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    return startApp('gitlab', ['--mode', 'saas', '--port', String(port), '--host', '127.0.0.1', '--url', url], env, PATH.GITLAB_HEALTH);
  },
  async selfManaged(saasUrl: string, env: Record<string, string> = {}): Promise<Started> {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    return startApp('gitlab', ['--mode', 'self-managed', '--port', String(port), '--host', '127.0.0.1', '--url', url], { ...env, SAAS_URL: saasUrl }, PATH.GITLAB_HEALTH);
  },
  async model(env: Record<string, string> = {}): Promise<Started> {
    return startApp('fake-model', ['--port', String(await freePort()), '--host', '127.0.0.1'], env, PATH.MODEL_HEALTHZ);
  },
  async gateway(issuerUrl: string, modelUrl: string, env: Record<string, string> = {}): Promise<Started> {
    return startApp(
      'ai-gateway',
      ['--port', String(await freePort()), '--host', '127.0.0.1'],
      { ...env, AIGW_TRUSTED_ISSUERS: issuerUrl, AIGW_MODEL_URL: modelUrl },
      PATH.GATEWAY_HEALTHZ,
    );
  },
};
