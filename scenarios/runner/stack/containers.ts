/**
 * The containers runtime (`--runtime containers`): the roles run from the project's image
 * (docker/Dockerfile, APP=<app>) with testcontainers 11, and the runner sees the same
 * RunningStack as with the embedded runtime (launcher.ts), so run.ts has one code path.
 *
 * Networking, and why: the containers share the host's network (`--network host`), so each
 * role listens on 127.0.0.1:<port> exactly as the embedded process does: the same ports model
 * (--ports default|auto), the same URLs inside and outside, hence the same issuer in a token,
 * the same trusted issuers, SaaS URL and Web IDE origins, and the harness's stand-in servers on
 * its loopback (sm-relay's stand-in SaaS, which the self-managed instance is pointed at) are
 * reachable as they are from embedded roles. That is what makes every scenario run as it does
 * embedded. The roles still run from the image: its build of the apps, its dependencies, its
 * filesystem, a non-root user, and only the environment given here. Measured alternatives:
 * one network namespace shared by the run's containers with published loopback ports (a
 * Kubernetes pod's model) keeps the URLs but cannot reach the harness's loopback, so six
 * sm-relay checks ended SKIPPED; a user network with aliases gives each role two URLs
 * (http://gitlab-saas:3001 inside, 127.0.0.1:<port> outside, docker/compose-profile.yaml's
 * `issuer`), which the embedded profile and the issuer, audience, redirect and origin checks do
 * not model. The compose stack (docker/docker-compose.yml) is the isolated-network deployment.
 *
 * Cleanup: every container carries the run's labels (container-labels.ts); stop() removes them,
 * also after a failed start or an interrupt; a detached watchdog removes them if the runner
 * dies (container-cleanup.ts); each start first removes orphans of runners that died.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Role } from '#contracts';
import { InterruptedError, StackStartError } from '../errors.js';
import type { TargetProfile } from '../profile.js';
import { removeOrphans, removeRunContainers, startWatchdog } from './container-cleanup.js';
import { prepareContainerHost } from './container-host.js';
import { runLabels } from './container-labels.js';
import {
  exitDescription,
  planPorts,
  launchInWaves,
  runUrls,
  waitHealthy,
  type PlannedRole,
  type RunningStack,
  type StackRole,
  type StartStackOptions,
} from './launcher.js';
import { LOOPBACK } from './ports.js';
import { defaultRoleTable, roleEnvironment, type EmulatorApp, type LaunchContext, type RoleLaunchSpec } from './role-table.js';

/** Where host files a role needs (the profile's seed file) are copied to inside its container. */
export const CONTAINER_FILES_DIR = '/tmp/ai-auth-harness';

export interface StartContainerStackOptions extends Omit<StartStackOptions, 'table'> {
  /** Run this image instead of building the source tree's (docker/build-image.sh). */
  image?: string;
  /** Labels the run's containers; random otherwise. */
  runId?: string;
}

export interface FileCopy {
  source: string;
  target: string;
}

/** One role's container, as data (what the unit tests check). */
export interface ContainerRolePlan {
  role: Role;
  app: EmulatorApp;
  port: number;
  url: string;
  healthPath: string;
  /** `ai-auth-harness-<run>-<role>`: what `docker ps` / `podman ps` shows. */
  name: string;
  /** Arguments after the image's entrypoint (`node dist/apps/$APP/src/main.js`). */
  command: string[];
  environment: Record<string, string>;
  labels: Record<string, string>;
  /** Host files copied in before the container starts. */
  files: FileCopy[];
}

/**
 * The profile as the containers see it: a seed file on the host is copied into the containers
 * (the GitLab roles read it) and named by its path there.
 */
export function profileInContainer(profile: TargetProfile): { profile: TargetProfile; files: FileCopy[] } {
  const seed = profile.options.seedFile;
  if (!seed) return { profile, files: [] };
  const target = `${CONTAINER_FILES_DIR}/${basename(seed)}`;
  return { profile: { ...profile, options: { ...profile.options, seedFile: target } }, files: [{ source: seed, target }] };
}

/**
 * A role's container from the role table entry the embedded runtime uses too: the same
 * arguments and environment (roleEnvironment), plus APP and the run's labels. Throws
 * StackStartError for an entry without an app (a test's tiny script has no image).
 */
export function containerRolePlan(
  spec: RoleLaunchSpec,
  planned: PlannedRole,
  urls: Partial<Record<Role, string>>,
  profile: TargetProfile,
  controlToken: string,
  runId: string,
): ContainerRolePlan {
  if (!spec.app) throw new StackStartError(`cannot start ${planned.role} in a container: its role table entry names no app of the image (only ${spec.script})`);
  const inside = profileInContainer(profile);
  const ctx: LaunchContext = { role: planned.role, port: planned.port, host: LOOPBACK, url: planned.url, urls, profile: inside.profile };
  return {
    role: planned.role,
    app: spec.app,
    port: planned.port,
    url: planned.url,
    healthPath: spec.healthPath,
    name: `ai-auth-harness-${runId}-${planned.role}`,
    command: spec.args(ctx),
    environment: { APP: spec.app, ...roleEnvironment(spec, ctx, controlToken) },
    labels: runLabels(runId, planned.role),
    files: inside.files,
  };
}

interface StartedRole {
  info: StackRole;
  stop(graceMs: number): Promise<void>;
}

/**
 * Prepares the engine and image (container-host.ts), then starts the given roles in containers
 * in dependency waves, each waited for until its health endpoint answers on loopback. On any
 * failure it removes what it started and throws StackStartError (InterruptedError on abort).
 */
export async function startContainerStack(options: StartContainerStackOptions): Promise<RunningStack> {
  const progress = options.onProgress ?? (() => undefined);
  const table = defaultRoleTable();
  const controlToken = options.controlToken ?? randomBytes(32).toString('hex');
  const graceMs = options.stopGraceMs ?? 5000;
  const runId = options.runId ?? randomBytes(6).toString('hex');
  const planned = await planPorts(options.roles, options);
  const urls = runUrls(options.profile, planned);
  mkdirSync(options.logsDir, { recursive: true });
  const plans = planned.map((p) => containerRolePlan(table[p.role], p, urls, options.profile, controlToken, runId));
  for (const f of plans.flatMap((p) => p.files)) if (!existsSync(f.source)) throw new StackStartError(`cannot copy ${f.source} into the containers: it does not exist`);

  const host = await prepareContainerHost({ logsDir: options.logsDir, onProgress: progress, ...(options.image ? { image: options.image } : {}), ...(options.signal ? { signal: options.signal } : {}) });
  // testcontainers reads DOCKER_HOST & co. (set by prepareContainerHost) when first loaded.
  const { GenericContainer, getContainerRuntimeClient } = await import('testcontainers');
  let engine: Awaited<ReturnType<typeof getContainerRuntimeClient>>;
  let endWatchdog: () => void;
  try {
    engine = await getContainerRuntimeClient();
    const orphans = await removeOrphans();
    if (orphans.length) progress(`removed ${orphans.length} container(s) left by earlier runs whose runner died`);
    endWatchdog = startWatchdog(runId);
  } catch (e) {
    throw new StackStartError(`the container engine at ${process.env.DOCKER_HOST || 'the default socket'} did not answer: ${(e as Error).message}`);
  }

  const started: StartedRole[] = [];
  const listeners: ((role: Role, code: number | null, signal: NodeJS.Signals | null) => void)[] = [];
  const healthy = new Set<Role>();
  let stopping = false;

  const stop = async () => {
    stopping = true;
    await Promise.allSettled([...started].reverse().map((s) => s.stop(graceMs)));
    // A sweep by label: also what was created but never reported started (a failed start).
    try {
      await removeRunContainers(runId);
      endWatchdog();
    } catch (e) {
      progress(`could not remove the containers of run ${runId} (${(e as Error).message}); the watchdog or the next run removes them`);
    }
  };

  const launch = async (plan: ContainerRolePlan): Promise<void> => {
    const logFile = join(options.logsDir, `${plan.role}.log`);
    progress(`starting ${plan.role} in a container on ${plan.url} (image ${host.image}; log: ${logFile})`);
    let container = new GenericContainer(host.image)
      .withName(plan.name)
      .withNetworkMode('host')
      .withEnvironment(plan.environment)
      .withCommand(plan.command)
      .withLabels(plan.labels)
      .withLogConsumer((stream) => stream.pipe(createWriteStream(logFile)));
    if (plan.files.length) container = container.withCopyFilesToContainer(plan.files);
    const running = await container.start();
    let exited: string | undefined;
    // The engine answers /wait when the container ends: an early exit fails the start at once,
    // a later one is reported as the embedded runtime reports a role's exit.
    engine.container
      .getById(running.getId())
      .wait()
      .then((r: { StatusCode: number }) => {
        exited = exitDescription(r.StatusCode, null);
        if (!stopping && healthy.has(plan.role)) for (const l of listeners) l(plan.role, r.StatusCode, null);
      })
      .catch(() => undefined);
    started.push({
      info: { role: plan.role, url: plan.url, port: plan.port, pid: -1, containerId: running.getId(), logFile },
      stop: async (ms) => void (await running.stop({ timeout: ms, remove: true }).catch(() => undefined)),
    });
    await waitHealthy({
      planned: plan,
      name: `the ${plan.role} container`,
      healthPath: plan.healthPath,
      logFile,
      timeoutMs: options.healthTimeoutMs ?? 60_000,
      signal: options.signal,
      exited: () => exited,
    });
    healthy.add(plan.role);
  };

  try {
    progress(`starting the roles in containers of ${host.image} on the host network (run ${runId})`);
    await launchInWaves(plans, options.profile, launch);
  } catch (e) {
    await stop();
    if (e instanceof Error && !(e instanceof StackStartError) && !(e instanceof InterruptedError)) {
      throw new StackStartError(`the container engine refused the run (${e.message}); logs in ${options.logsDir}`);
    }
    throw e;
  }

  return {
    roles: started.map((s) => s.info),
    controlToken,
    url: (role) => started.find((s) => s.info.role === role)?.info.url,
    onUnexpectedExit: (listener) => listeners.push(listener),
    stop,
  };
}
