/**
 * Makes this machine ready for `--runtime containers`, so that one command works: the project's
 * scripts prepare a Docker-compatible engine (docker/prepare-host.sh: podman and its API socket
 * where there is no Docker) and build the image of the current source tree
 * (docker/build-image.sh, cached by layers, so fast when nothing changed). Both are idempotent.
 * Their output goes to a log file; a failure names the log and the command to run by hand.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { projectRoot } from '#contracts';
import { InterruptedError, StackStartError } from '../errors.js';
import { logTail } from './launcher.js';

/** What the scripts established. */
export interface ContainerHost {
  /** The engine's API endpoint (e.g. unix:///run/podman/podman.sock); '' for the engine's default. */
  dockerHost: string;
  /** The image every role runs (APP picks the app). */
  image: string;
}

export interface PrepareContainerHostOptions {
  /** Skip the build and run this image (it must exist in the engine). */
  image?: string;
  /** prepare-host.log and image-build.log go here. */
  logsDir: string;
  /** Aborting it ends a running script (InterruptedError). */
  signal?: AbortSignal;
  root?: string;
  onProgress?: (message: string) => void;
}

/** The last non-empty line of a script's standard output (the scripts' result line). */
export function lastLine(stdout: string): string {
  return (
    stdout
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .at(-1) ?? ''
  );
}

/** `DOCKER_HOST=<value>` (prepare-host.sh's last line) → the value; throws when the line is not that. */
export function parseDockerHostLine(line: string): string {
  const m = /^DOCKER_HOST=(\S*)$/.exec(line);
  if (!m) throw new Error(`expected its last line to be DOCKER_HOST=<endpoint>, got ${JSON.stringify(line.slice(0, 200))}`);
  return m[1]!;
}

/**
 * The environment testcontainers 11 needs here (../shared/containers.md): the engine's socket,
 * the published ports reached on loopback, and no Ryuk (its image comes from Docker Hub, which
 * these machines cannot reach; container-labels.ts does its job). Values the user set win.
 */
export function testcontainersEnvironment(dockerHost: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  if (dockerHost && !env.DOCKER_HOST) out.DOCKER_HOST = dockerHost;
  if (!env.TESTCONTAINERS_RYUK_DISABLED) out.TESTCONTAINERS_RYUK_DISABLED = 'true';
  if (!env.TESTCONTAINERS_HOST_OVERRIDE) out.TESTCONTAINERS_HOST_OVERRIDE = '127.0.0.1';
  return out;
}

/** Runs `bash <script>` with its output in logFile; resolves its stdout's last line. */
async function runScript(script: string, logFile: string, root: string, signal?: AbortSignal): Promise<string> {
  mkdirSync(dirname(logFile), { recursive: true });
  writeFileSync(logFile, '');
  // Both streams append to the log as they come (O_APPEND keeps them in order); stdout is also
  // kept for the result line.
  const fd = openSync(logFile, 'a');
  const child = spawn('bash', [script], { cwd: root, stdio: ['ignore', 'pipe', fd], ...(signal ? { signal } : {}) });
  closeSync(fd);
  let stdout = '';
  const out = child.stdout!; // stdio[1] is 'pipe'
  out.setEncoding('utf8');
  out.on('data', (chunk: string) => {
    stdout += chunk;
    appendFileSync(logFile, chunk);
  });
  const code = await new Promise<number | string>((resolvePromise) => {
    child.once('error', (e) => resolvePromise(e.message));
    child.once('close', (c, signal) => resolvePromise(c ?? `signal ${signal}`));
  });
  if (signal?.aborted) throw new InterruptedError(`interrupted while \`bash ${script}\` ran`);
  if (code !== 0) {
    throw new StackStartError(
      `\`bash ${script}\` failed (${typeof code === 'number' ? `exit code ${code}` : code}); run it by hand to see why. Last lines of ${logFile}:\n${logTail(logFile)}`,
    );
  }
  return lastLine(stdout);
}

/**
 * Prepares the engine and the image, and sets the testcontainers environment in process.env.
 * Throws StackStartError when a script fails or prints no result line.
 */
export async function prepareContainerHost(options: PrepareContainerHostOptions): Promise<ContainerHost> {
  const root = options.root ?? projectRoot();
  const progress = options.onProgress ?? (() => undefined);
  const prepareLog = join(options.logsDir, 'prepare-host.log');
  progress(`preparing the container engine: bash docker/prepare-host.sh (log: ${prepareLog})`);
  let dockerHost: string;
  try {
    dockerHost = parseDockerHostLine(await runScript(join('docker', 'prepare-host.sh'), prepareLog, root, options.signal));
  } catch (e) {
    if (e instanceof StackStartError || e instanceof InterruptedError) throw e;
    throw new StackStartError(`docker/prepare-host.sh: ${(e as Error).message}; see ${prepareLog}`);
  }
  Object.assign(process.env, testcontainersEnvironment(dockerHost));

  let image = options.image;
  if (!image) {
    const buildLog = join(options.logsDir, 'image-build.log');
    progress(`building the image of this source tree: bash docker/build-image.sh (cached; log: ${buildLog})`);
    image = await runScript(join('docker', 'build-image.sh'), buildLog, root, options.signal);
    if (!image || /\s/.test(image)) throw new StackStartError(`docker/build-image.sh printed no image name on its last line; see ${buildLog}`);
  }
  return { dockerHost: process.env.DOCKER_HOST ?? dockerHost, image };
}
