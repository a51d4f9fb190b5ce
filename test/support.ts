/**
 * Helpers of the end-to-end tests in test/: compiled entry points run to completion, the
 * embedded stack started through the runner's own launcher, the demo credentials of the
 * embedded profile. Loopback stand-ins and JWT helpers are the apps' shared test support
 * (apps/common/src/testing).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot, type Role } from '#contracts';
import { mergeProfiles, readEmbeddedProfile, type ProfileCredentials, type TargetProfileFile } from '../scenarios/runner/profile.js';
import { startStack, type RunningStack } from '../scenarios/runner/stack/launcher.js';
import { track } from './live-children.js';

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
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a compiled script (`dist/<relative>`) to its exit with only PATH and `env` in its environment, as from a clean shell. */
export function runToExit(relative: string, args: string[], env: Record<string, string> = {}): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [compiled(relative), ...args], { cwd: root, env: { PATH: process.env.PATH ?? '', ...env } });
    track(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Runs the compiled CLI to completion, as a user would from a shell. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<Finished> {
  return runToExit('scenarios/runner/cli.js', args, env);
}

/**
 * The embedded `roles` on free loopback ports, started by the runner's launcher exactly as a
 * run starts them, every one with `controlToken` (random otherwise). `profile`, merged over the
 * embedded profile, names roles already running elsewhere (`url`) and the gateway's settings.
 */
export function startEmbedded(roles: readonly Role[], options: { controlToken?: string; profile?: TargetProfileFile } = {}): Promise<RunningStack> {
  return startStack({
    roles,
    profile: mergeProfiles(readEmbeddedProfile(), options.profile),
    ports: 'auto',
    logsDir: tempDir('stack-logs'),
    ...(options.controlToken ? { controlToken: options.controlToken } : {}),
  });
}

/** The URL of a role the stack started; throws when it did not start it. */
export function roleUrl(stack: RunningStack, role: Role): string {
  const url = stack.roles.find((r) => r.role === role)?.url;
  if (!url) throw new Error(`the stack did not start ${role} (it started ${stack.roles.map((r) => r.role).join(', ')})`);
  return url;
}

/** The stack's roles as external targets of a run: URL, control token and, for a GitLab role, the demo credentials. */
export function targetsOf(stack: RunningStack): NonNullable<TargetProfileFile['roles']> {
  const roles: NonNullable<TargetProfileFile['roles']> = {};
  for (const { role, url } of stack.roles) {
    roles[role] = { url, control_token: stack.controlToken, ...(role === 'gitlab-saas' || role === 'gitlab-sm' ? { credentials: demoCredentials(role) } : {}) };
  }
  return roles;
}

/** The credentials the embedded profile gives a GitLab role: names of contracts/fixtures/demo-data.yaml, resolved to their values. */
export function demoCredentials(role: 'gitlab-saas' | 'gitlab-sm'): ProfileCredentials {
  const credentials = mergeProfiles(readEmbeddedProfile()).roles[role].credentials;
  if (!credentials) throw new Error(`the embedded profile gives ${role} no credentials`);
  return credentials;
}
