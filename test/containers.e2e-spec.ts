/**
 * The containerised stack for real (issue 12): docker/prepare-host.sh readies the machine (a
 * Docker engine, or podman with its API socket and the offline base image), docker/build-image.sh
 * builds the one image, docker/compose-up.sh brings docker/docker-compose.yml's four services to
 * healthy on free loopback ports, then one IDE request goes through the stack and the Locust
 * keystroke smoke loads it. The project is removed in afterAll, also when something failed.
 *
 * A machine that cannot run containers makes this file FAIL with the script's reason (exit 3),
 * never skip: CI must prove the images work. CI runs as root on a Debian machine without Docker,
 * so the first run there installs podman and debootstraps the base (a few minutes).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { DEFAULT_PORT, HEADER, PATH, ROLES, type Role } from '#contracts';
import { completionRequest, gatewayHeaders } from '../scenarios/clients/code-suggestions.js';
import { readProfileFile } from '../scenarios/runner/profile.js';
import { track } from './live-children.js';
import { demoCredentials, root, runToExit, tempDir, type Finished } from './support.js';

const EXIT_NO_CONTAINERS = 3;
const SETUP_TIMEOUT_MS = 15 * 60_000;
const project = `aiah-e2e-${process.pid}`;
const controlToken = randomBytes(18).toString('base64url');
const hostPort = {} as Record<Role, number>;
const env = (): Record<string, string> => ({
  COMPOSE_PROJECT_NAME: project,
  HARNESS_CONTROL_TOKEN: controlToken,
  FAKE_MODEL_HOST_PORT: String(hostPort['fake-model']),
  GITLAB_SAAS_HOST_PORT: String(hostPort['gitlab-saas']),
  GITLAB_SM_HOST_PORT: String(hostPort['gitlab-sm']),
  AI_GATEWAY_HOST_PORT: String(hostPort['ai-gateway']),
});

/** Runs `command` to its exit (ended after `timeoutMs`); tracked, so a timed-out test leaves nothing running. */
function runCommand(command: string, args: string[], options: { env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env: options.env });
    track(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), options.timeoutMs ?? 120_000);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Runs `bash docker/<script>` with the project's environment; stderr is its progress, the last stdout line its result. */
async function runScript(script: string, timeoutMs: number): Promise<Finished & { lastLine: string }> {
  const run = await runCommand('bash', [join(root, 'docker', script)], { env: { ...process.env, ...env() }, timeoutMs });
  return { ...run, lastLine: run.stdout.trimEnd().split('\n').at(-1) ?? '' };
}

/** Throws with the script's own reason (the tail of its stderr) unless it exited 0. */
function expectSucceeded(script: string, run: Finished): void {
  if (run.code === 0) return;
  const reason = run.code === EXIT_NO_CONTAINERS ? 'this machine cannot run containers' : `exit ${run.code ?? run.signal}`;
  throw new Error(`docker/${script}: ${reason}:\n${run.stderr.slice(-4000)}`);
}

/** A port free on loopback now (the engine publishes on it a moment later). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The engine's CLI (podman or docker) on the Docker API the scripts chose; its stdout. */
async function engine(args: string[]): Promise<string> {
  const run = await runCommand(cli, args, { env: { ...process.env, ...(dockerHost ? { DOCKER_HOST: dockerHost } : {}) } });
  if (run.code !== 0) throw new Error(`${cli} ${args.join(' ')}: exit ${run.code}: ${run.stderr}`);
  return run.stdout;
}

const url = (role: Role, path: string) => `http://127.0.0.1:${hostPort[role]}${path}`;
let prepared: Finished & { lastLine: string };
let built: Finished & { lastLine: string };
let up: Finished & { lastLine: string };
let dockerHost = '';
let cli = 'docker';

beforeAll(async () => {
  for (const role of ROLES) hostPort[role] = await freePort();
  prepared = await runScript('prepare-host.sh', SETUP_TIMEOUT_MS);
  expectSucceeded('prepare-host.sh', prepared);
  dockerHost = prepared.lastLine.replace(/^DOCKER_HOST=/, '');
  cli = dockerHost.includes('podman') ? 'podman' : 'docker';
  built = await runScript('build-image.sh', SETUP_TIMEOUT_MS);
  expectSucceeded('build-image.sh', built);
  up = await runScript('compose-up.sh', 5 * 60_000);
  expectSucceeded('compose-up.sh', up);
}, 3 * SETUP_TIMEOUT_MS);

afterAll(async () => {
  const down = await runScript('compose-down.sh', 120_000);
  // The containers of the project are gone, whatever happened above (or the run says why not).
  if (down.code !== 0 && down.code !== EXIT_NO_CONTAINERS) throw new Error(`docker/compose-down.sh: exit ${down.code}:\n${down.stderr}`);
}, 150_000);

describe('docker/ scripts on this machine', () => {
  it('prepare-host.sh names the Docker API on its last line, and a second run keeps what the first prepared', async () => {
    expect(prepared.lastLine).toMatch(/^DOCKER_HOST=(unix:\/\/\/\S+)?$/);
    const again = await runScript('prepare-host.sh', 120_000);
    expectSucceeded('prepare-host.sh', again);
    expect(again.lastLine).toBe(prepared.lastLine);
    // Progress goes to stderr: stdout is the one result line.
    expect(again.stdout.trim().split('\n')).toEqual([prepared.lastLine]);
    if (cli === 'podman') expect(again.stderr).not.toMatch(/debootstrap|importing|installing/);
  }, 180_000);

  it('prepare-host.sh run by a user who is not root, with no Docker engine, exits 3 and says why', async () => {
    // As `nobody` (CI runs as root), with a DOCKER_HOST where no engine listens.
    const run = await runCommand('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'bash', join(root, 'docker', 'prepare-host.sh')], {
      env: { PATH: process.env.PATH ?? '', DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
    });
    expect(run).toEqual({ code: EXIT_NO_CONTAINERS, signal: null, stdout: '', stderr: expect.stringContaining('this machine cannot run containers: no Docker engine answers and preparing podman needs root') });
  });

  it('build-image.sh builds the tag compose runs, and rebuilds nothing when nothing changed', async () => {
    const compose = readFileSync(join(root, 'docker', 'docker-compose.yml'), 'utf8');
    expect(built.lastLine).toBe('localhost/ai-auth-harness:local');
    expect(compose).toContain(`image: ${built.lastLine}`);
    const id = async () => (await engine(['image', 'inspect', '--format', '{{.Id}}', built.lastLine])).trim();
    const before = await id();
    const again = await runScript('build-image.sh', 600_000);
    expectSucceeded('build-image.sh', again);
    expect(await id()).toBe(before);
  }, 660_000);

  it('compose-up.sh brings all four services to healthy, as a non-root user, published on loopback only', async () => {
    expect(up.lastLine).toBe(`COMPOSE_PROJECT_NAME=${project}`);
    const ids = (await engine(['ps', '-q', '--filter', `label=com.docker.compose.project=${project}`])).trim().split('\n');
    expect(ids).toHaveLength(4);
    const format = '{{index .Config.Labels "com.docker.compose.service"}}|{{.State.Health.Status}}|{{.Config.User}}|{{json .HostConfig.PortBindings}}';
    const rows = (await engine(['inspect', '--format', format, ...ids])).trim().split('\n').map((line) => line.split('|'));
    expect(rows.map(([service]) => service).sort()).toEqual([...ROLES].sort());
    for (const [service, health, user, bindings] of rows) {
      expect({ service, health, user }).toEqual({ service, health: 'healthy', user: 'node' });
      const published = Object.values(JSON.parse(bindings!) as Record<string, Array<{ HostIp: string; HostPort: string }>>).flat();
      expect(published).toEqual([{ HostIp: '127.0.0.1', HostPort: String(hostPort[service as Role]) }]);
    }
    const health: Record<Role, string> = { 'gitlab-saas': PATH.GITLAB_HEALTH, 'gitlab-sm': PATH.GITLAB_HEALTH, 'ai-gateway': PATH.GATEWAY_HEALTHZ, 'fake-model': PATH.MODEL_HEALTHZ };
    for (const role of ROLES) expect({ role, status: (await fetch(url(role, health[role]))).status }).toEqual({ role, status: 200 });
  });

  it('after prepare-host.sh, a plain `docker-compose up` (no script, no DOCKER_HOST) brings all four services to healthy', async () => {
    // Another project on other ports beside the one above; the engine's default socket and, under
    // podman, prepare-host.sh's health ticker are all it has.
    const plain = `${project}-plain`;
    const ports = Object.fromEntries(await Promise.all(ROLES.map(async (r) => [`${r.toUpperCase().replaceAll('-', '_')}_HOST_PORT`, String(await freePort())] as const)));
    const { DOCKER_HOST: _ignored, ...inherited } = process.env;
    const composeEnv = { ...inherited, ...ports, HARNESS_CONTROL_TOKEN: controlToken };
    const [command, ...base] = cli === 'podman' ? ['docker-compose'] : ['docker', 'compose'];
    const compose = (args: string[]) => runCommand(command!, [...base, '-f', 'docker/docker-compose.yml', '-p', plain, ...args], { env: composeEnv, timeoutMs: 240_000 });
    try {
      const started = await compose(['up', '-d', '--no-build']);
      if (started.code !== 0) throw new Error(`compose up: exit ${started.code}:\n${started.stderr.slice(-3000)}`);
      const ids = (await engine(['ps', '-q', '--filter', `label=com.docker.compose.project=${plain}`])).trim().split('\n');
      expect(ids).toHaveLength(4);
      let health: string[] = [];
      for (let i = 0; i < 120; i++) {
        health = (await engine(['inspect', '--format', '{{.State.Health.Status}}', ...ids])).trim().split('\n');
        if (health.every((h) => h === 'healthy')) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      expect(health).toEqual(['healthy', 'healthy', 'healthy', 'healthy']);
      expect((await fetch(`http://127.0.0.1:${ports.AI_GATEWAY_HOST_PORT}${PATH.GATEWAY_HEALTHZ}`)).status).toBe(200);
    } finally {
      await compose(['down', '--remove-orphans']);
    }
    expect((await engine(['ps', '-a', '-q', '--filter', `label=com.docker.compose.project=${plain}`])).trim()).toBe('');
  }, 300_000);

  it('an IDE gets a token from SaaS, and the containerised gateway verifies it with the keys it fetched from gitlab-saas by service name', async () => {
    const pat = demoCredentials('gitlab-saas').personal_access_tokens?.ai_features;
    expect(pat).toBeDefined();
    const tokenRes = await fetch(url('gitlab-saas', PATH.GITLAB_CODE_SUGGESTIONS_TOKENS), { method: 'POST', headers: { [HEADER.AUTHORIZATION]: `Bearer ${pat}` } });
    expect(tokenRes.status).toBe(201);
    const { access_token: token } = (await tokenRes.json()) as { access_token: string };
    const claims = decodeJwt(token);
    // The issuer is the name inside the compose network, not the loopback port the IDE used.
    expect(claims.iss).toBe(`http://gitlab-saas:${DEFAULT_PORT['gitlab-saas']}`);
    const completion = await fetch(url('ai-gateway', PATH.GATEWAY_COMPLETIONS), {
      method: 'POST',
      headers: { ...gatewayHeaders(token, claims), 'content-type': 'application/json' },
      body: JSON.stringify(completionRequest()),
    });
    expect(completion.status).toBe(200);
    expect((await completion.json()) as { choices: unknown[] }).toMatchObject({ choices: [expect.objectContaining({ text: expect.any(String) })] });
    // The same request with a token of no issuer the gateway trusts is refused (401), so the 200 was a verification.
    const forged = await fetch(url('ai-gateway', PATH.GATEWAY_COMPLETIONS), {
      method: 'POST',
      headers: { ...gatewayHeaders(`${token.slice(0, token.lastIndexOf('.'))}.AAAA`, claims), 'content-type': 'application/json' },
      body: JSON.stringify(completionRequest()),
    });
    expect(forged.status).toBe(401);
  });

  it('the self-managed instance relays a token request to SaaS across the compose network', async () => {
    const pat = demoCredentials('gitlab-sm').personal_access_tokens?.ai_features;
    expect(pat).toBeDefined();
    const res = await fetch(url('gitlab-sm', PATH.GITLAB_CODE_SUGGESTIONS_TOKENS), { method: 'POST', headers: { [HEADER.AUTHORIZATION]: `Bearer ${pat}` } });
    expect(res.status).toBe(201);
    expect(decodeJwt(((await res.json()) as { access_token: string }).access_token).iss).toBe(`http://gitlab-saas:${DEFAULT_PORT['gitlab-saas']}`);
  });

  it('the Locust keystroke smoke holds its thresholds against the containerised gateway', async () => {
    const install = await runCommand('bash', [join(root, 'load', 'install-locust.sh')], { env: process.env, timeoutMs: 300_000 });
    if (install.code !== 0) throw new Error(`load/install-locust.sh: exit ${install.code}:\n${install.stderr.slice(-2000)}`);
    // docker/compose-profile.yaml as it is, moved to this run's ports and control token.
    const profile = readProfileFile(join(root, 'docker', 'compose-profile.yaml'));
    for (const role of ROLES) Object.assign(profile.roles![role]!, { url: url(role, ''), control_token: controlToken });
    const dir = tempDir('containers-load');
    const profileFile = join(dir, 'profile.json');
    writeFileSync(profileFile, JSON.stringify(profile));
    const run = await runToExit('load/run/cli.js', ['keystroke', '--smoke', '--profile', profileFile, '--reports', join(dir, 'reports')], { HOME: process.env.HOME ?? '' });
    if (run.code !== 0) throw new Error(`load exited ${run.code}:\n${run.stderr.slice(-4000)}`);
    const summaryFile = join(dir, 'reports', 'summary.json');
    expect(existsSync(summaryFile)).toBe(true);
    const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as { pass: boolean; tags: Record<string, { requests: number; failures: number }> };
    expect(summary.pass).toBe(true);
    expect(summary.tags.completion).toMatchObject({ requests: expect.any(Number), failures: 0 });
    expect(summary.tags.completion!.requests).toBeGreaterThan(0);
    expect(summary.tags['token:saas']!.failures).toBe(0);
  }, 420_000);

  it('the compose load profile runs the keystroke scenario inside the network and exits by its thresholds', async () => {
    const run = await runCommand('bash', [join(root, 'docker', 'compose-load.sh')], { env: { ...process.env, ...env(), LOAD_RUN_TIME_S: '8', LOAD_USERS: '4' }, timeoutMs: SETUP_TIMEOUT_MS });
    const output = `${run.stdout}\n${run.stderr}`;
    if (run.code !== 0) throw new Error(`docker/compose-load.sh: exit ${run.code}:\n${output.slice(-4000)}`);
    // Each threshold of the scenario (completions through the gateway service among them) held.
    expect(output).toMatch(/threshold\s+\S*completion\S*.*\bpass\b/);
    expect(output).not.toMatch(/\bFAIL\b/);
  }, SETUP_TIMEOUT_MS);
});
