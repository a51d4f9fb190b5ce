/**
 * `--runtime containers` for real: the compiled CLI prepares the engine (podman here), builds
 * the image and runs a scenario against the roles in containers, as a release engineer runs
 * it. Then what must never be left behind: no container of the run after a normal end, after
 * Ctrl-C, and after the runner is killed outright (the watchdog's job). A machine that cannot
 * run containers fails these tests with the scripts' own message; nothing is skipped.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { track } from '../../../test/live-children.js';
import { compiled, root, runCli, tempDir } from '../../../test/support.js';
import type { RunResult } from '../types.js';
import { listLabelled } from './container-cleanup.js';
import { lastLine, parseDockerHostLine, testcontainersEnvironment } from './container-host.js';
import { ROLE_LABEL, RUN_LABEL } from './container-labels.js';

// Preparing a clean machine (packages, a debootstrap base) and a first image build take
// minutes; CI's two cores need the margin.
const PREPARE_MS = 15 * 60_000;
const RUN_MS = 5 * 60_000;
const SCENARIO = 'custom-endpoint-jwt';

/** Runs `bash docker/<script>` to its end; fails with the script's own output when it fails. */
function script(name: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = track(spawn('bash', [join('docker', name)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolvePromise(lastLine(stdout))
        : reject(new Error(`this machine cannot run the containers runtime: \`bash docker/${name}\` exited ${code}:\n${stderr.slice(-3000)}`)),
    );
  });
}

/** The run id the CLI prints when it starts the containers. */
function runIdOf(stdout: string): string {
  const m = /on the host network \(run ([0-9a-f]+)\)/.exec(stdout);
  if (!m) throw new Error(`the CLI printed no run id; its output:\n${stdout}`);
  return m[1]!;
}

async function containersOf(runId: string): Promise<string[]> {
  return (await listLabelled(RUN_LABEL, runId)).map((c) => `${c.Labels?.[ROLE_LABEL]} ${c.Id.slice(0, 12)}`);
}

/** Waits for a condition that another process brings about (the watchdog polls every 500 ms). */
async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  let value = await probe();
  while (!done(value) && Date.now() < deadline) {
    await delay(500);
    value = await probe();
  }
  return value;
}

describe('ai-auth-harness run --runtime containers (compiled CLI, real containers)', () => {
  const env: Record<string, string> = { HOME: process.env.HOME ?? '/root' };
  let image: string;

  beforeAll(async () => {
    const dockerHost = parseDockerHostLine(await script('prepare-host.sh'));
    Object.assign(env, testcontainersEnvironment(dockerHost, {}));
    // This process lists containers by label too.
    Object.assign(process.env, testcontainersEnvironment(dockerHost));
    image = await script('build-image.sh');
  }, PREPARE_MS);

  it(`passes ${SCENARIO} with the roles in containers, names the runtime in every report, and removes the containers`, async () => {
    const reports = tempDir('containers');
    const { code, stdout, stderr } = await runCli(['run', '--runtime', 'containers', '--scenario', SCENARIO, '--ports', 'auto', '--reports', reports], env);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/profile: embedded {2}runtime: containers/);
    expect(stdout).toMatch(/starting gitlab-saas in a container on http:\/\/127\.0\.0\.1:\d+/);

    const results = JSON.parse(readFileSync(join(reports, 'results.json'), 'utf8')) as RunResult;
    expect(results.runtime).toBe('containers');
    expect(results.scenarios.map((s) => [s.id, s.status])).toEqual([[SCENARIO, 'FINISHED']]);
    expect(results.scenarios[0]!.checks.filter((c) => c.status !== 'PASSED').map((c) => `${c.id}: ${c.status}`)).toEqual([]);
    expect(results.exitCode).toBe(0);
    expect(readFileSync(join(reports, 'junit.xml'), 'utf8')).toContain('<property name="runtime" value="containers"/>');
    expect(readFileSync(join(reports, 'report.html'), 'utf8')).toContain('runtime containers');

    // Each role's container output is in logs/<role>.log, as the embedded processes' is.
    const logs = join(reports, 'logs');
    const roleLogs = readdirSync(logs).filter((f) => !['prepare-host.log', 'image-build.log'].includes(f));
    expect(roleLogs.length).toBeGreaterThan(0);
    for (const f of roleLogs) expect(statSync(join(logs, f)).size).toBeGreaterThan(0);

    expect(await containersOf(runIdOf(stdout))).toEqual([]);
  }, RUN_MS);

  /** Starts the CLI on the scenario; resolves once its roles are up (the targets are printed). */
  function startRun(): Promise<{ child: ReturnType<typeof spawn>; output: () => string; exited: Promise<number | null> }> {
    const child = track(
      spawn(process.execPath, [compiled('scenarios/runner/cli.js'), 'run', '--runtime', 'containers', '--scenario', SCENARIO, '--ports', 'auto', '--reports', tempDir('containers-stop')], {
        cwd: root,
        env: { PATH: process.env.PATH ?? '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    return new Promise((resolvePromise, reject) => {
      const timer = setInterval(() => {
        if (/runtime: containers/.test(output)) {
          clearInterval(timer);
          resolvePromise({ child, output: () => output, exited });
        }
      }, 100);
      void exited.then((code) => {
        clearInterval(timer);
        reject(new Error(`the CLI exited (${code}) before its roles were up:\n${output}`));
      });
    });
  }

  it('fails with exit code 3, the role and its exit status when a role container exits at start, and removes what it started', async () => {
    // The project's image with an entrypoint that ends at once, built through the engine's API.
    const context = tempDir('broken-image');
    writeFileSync(join(context, 'Dockerfile'), `FROM ${image}\nENTRYPOINT ["/bin/sh", "-c", "echo about to fail; exit 3"]\n`);
    const { GenericContainer, getContainerRuntimeClient } = await import('testcontainers');
    const broken = 'localhost/ai-auth-harness-broken:e2e';
    await GenericContainer.fromDockerfile(context).build(broken, { deleteOnExit: false });
    try {
      const reports = tempDir('containers-broken');
      const { code, stdout, stderr } = await runCli(['run', '--runtime', 'containers', '--image', broken, '--scenario', SCENARIO, '--ports', 'auto', '--reports', reports], env);
      expect(code).toBe(3);
      expect(stderr).toMatch(/error: the stack failed to start: the (fake-model|gitlab-saas) container exited \(exit code 3\) before it became healthy/);
      expect(stderr).toContain('| about to fail');
      expect(await containersOf(runIdOf(stdout))).toEqual([]);
    } finally {
      await (await getContainerRuntimeClient()).container.dockerode.getImage(broken).remove({ force: true });
    }
  }, RUN_MS);

  it('removes the containers when the run is interrupted with Ctrl-C (SIGINT)', async () => {
    const run = await startRun();
    const runId = runIdOf(run.output());
    expect((await containersOf(runId)).length).toBeGreaterThan(1);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(1);
    expect(await containersOf(runId)).toEqual([]);
  }, RUN_MS);

  it('removes the containers when the runner is killed outright (SIGKILL: no handler runs, the watchdog does)', async () => {
    const run = await startRun();
    const runId = runIdOf(run.output());
    expect((await containersOf(runId)).length).toBeGreaterThan(1);
    run.child.kill('SIGKILL');
    await run.exited;
    expect(await eventually(() => containersOf(runId), (left) => left.length === 0, 60_000)).toEqual([]);
  }, RUN_MS);
});
