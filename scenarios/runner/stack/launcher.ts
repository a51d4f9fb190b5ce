/**
 * The embedded stack: one process per role, started in dependency order on loopback, each
 * waited for until its health endpoint answers, stopped with SIGTERM then SIGKILL. Children
 * are killed on any exit of the runner (an 'exit' hook), so a crash leaves no orphans.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { DEFAULT_PORT, type Role } from '#contracts';
import { InterruptedError, StackStartError } from '../errors.js';
import type { TargetProfile } from '../profile.js';
import { harnessUserAgent } from '../version.js';
import { freePort, isPortFree, LOOPBACK } from './ports.js';
import { START_ORDER, defaultRoleTable, embeddedDependencies, roleEnvironment, type LaunchContext, type RoleTable } from './role-table.js';

export interface StartStackOptions {
  /** Embedded roles to start (any order; started in START_ORDER). */
  roles: readonly Role[];
  profile: TargetProfile;
  /** 'default': the profile's port or DEFAULT_PORT, checked free first; 'auto': a free loopback port (the profile's port still wins). */
  ports: 'default' | 'auto';
  /** `<role>.log` files go here. */
  logsDir: string;
  /** Replaces entries of the default role table (tests run tiny scripts). */
  table?: Partial<RoleTable>;
  /** The control API token given to every role; random per run otherwise. */
  controlToken?: string;
  healthTimeoutMs?: number;
  /** Time between SIGTERM and SIGKILL when stopping. */
  stopGraceMs?: number;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

export interface StackRole {
  role: Role;
  url: string;
  port: number;
  /** The role's process id (embedded); -1 in a container, whose process the runner does not own. */
  pid: number;
  /** The role's container id (containers runtime). */
  containerId?: string;
  logFile: string;
}

export interface RunningStack {
  readonly roles: readonly StackRole[];
  readonly controlToken: string;
  url(role: Role): string | undefined;
  /** Called when a role exits on its own after it became healthy. */
  onUnexpectedExit(listener: (role: Role, code: number | null, signal: NodeJS.Signals | null) => void): void;
  /** SIGTERM every role, SIGKILL after the grace period; resolves when all have exited. */
  stop(): Promise<void>;
}

const HEALTH_POLL_MS = 100;
const LOG_TAIL_LINES = 20;

// Every child still alive, killed synchronously when this process exits for any reason.
// A signal nobody else handles would end the process without 'exit' hooks, so a fallback
// listener kills the children first; when the runner has its own listener (a graceful stop
// in progress) the fallback leaves the signal to it.
const live = new Set<ChildProcess>();
let hooksInstalled = false;

function killAll(): void {
  for (const c of live) {
    try {
      c.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (process.listenerCount(signal) > 1) return;
      killAll();
      process.exit(128 + (osConstants.signals[signal] ?? 0));
    });
  }
}

function track(child: ChildProcess): void {
  installHooks();
  live.add(child);
  child.once('exit', () => live.delete(child));
}

export function logTail(file: string, lines = LOG_TAIL_LINES): string {
  try {
    const all = readFileSync(file, 'utf8').replace(/\n+$/, '').split('\n');
    return all.slice(-lines).map((l) => `    | ${l}`).join('\n') || '    | (empty)';
  } catch {
    return '    | (no log written)';
  }
}

/** A role to start: its loopback port and URL. */
export interface PlannedRole {
  role: Role;
  port: number;
  url: string;
}

/**
 * Each role's port (START_ORDER): the profile's, else DEFAULT_PORT (checked free) or, with
 * 'auto', a free loopback port. Throws StackStartError naming the ways out of a clash.
 */
export async function planPorts(roles: readonly Role[], options: Pick<StartStackOptions, 'profile' | 'ports'>): Promise<PlannedRole[]> {
  const planned: PlannedRole[] = [];
  const taken = new Map<number, Role>();
  for (const role of START_ORDER.filter((r) => roles.includes(r))) {
    const explicit = options.profile.roles[role].port;
    let port: number;
    if (explicit === undefined && options.ports === 'auto') {
      do port = await freePort();
      while (taken.has(port));
    } else {
      port = explicit ?? DEFAULT_PORT[role];
      const clash = taken.get(port);
      if (clash) {
        throw new StackStartError(`cannot start the embedded ${role}: port ${port} is also the port of ${clash}; give the roles different ports in the profile`);
      }
      if (!(await isPortFree(port))) {
        throw new StackStartError(
          [
            `cannot start the embedded ${role}: port ${port} on ${LOOPBACK} is already in use.`,
            'Ways out:',
            `  - stop the process listening on port ${port} (an earlier \`ai-auth-harness stack\`?), or`,
            '  - run with `--ports auto` to start the embedded roles on free ports, or',
            `  - use the running one as the target: \`--target ${role}=http://${LOOPBACK}:${port}\``,
          ].join('\n'),
        );
      }
    }
    taken.set(port, role);
    planned.push({ role, port, url: `http://${LOOPBACK}:${port}` });
  }
  return planned;
}

/** Every role's URL in this run: the planned roles' loopback URLs over the profile's external ones. */
export function runUrls(profile: TargetProfile, planned: readonly PlannedRole[]): Partial<Record<Role, string>> {
  const urls: Partial<Record<Role, string>> = {};
  for (const [role, r] of Object.entries(profile.roles) as [Role, { url?: string }][]) if (r.url) urls[role] = r.url;
  for (const p of planned) urls[p.role] = p.url;
  return urls;
}

export function exitDescription(code: number | null, signal: NodeJS.Signals | null): string {
  return code !== null ? `exit code ${code}` : `signal ${signal ?? 'unknown'}`;
}

/** What waitHealthy watches: the role, how to name it in errors, and whether it has exited. */
export interface HealthWatch {
  planned: PlannedRole;
  /** e.g. `the embedded gitlab-saas`, `the gitlab-saas container`. */
  name: string;
  healthPath: string;
  logFile: string;
  timeoutMs: number;
  /** How the role ended (`exit code 1`), or undefined while it runs. */
  exited(): string | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Polls GET <url><healthPath> until 2xx. Throws InterruptedError on abort, StackStartError (with
 * the log's tail) when the role exits first or the timeout passes.
 */
export async function waitHealthy(w: HealthWatch): Promise<void> {
  const { planned, logFile, signal } = w;
  const healthUrl = `${planned.url}${w.healthPath}`;
  const deadline = Date.now() + w.timeoutMs;
  for (;;) {
    if (signal?.aborted) throw new InterruptedError(`interrupted while ${planned.role} was starting`);
    const exited = w.exited();
    if (exited) {
      throw new StackStartError(`${w.name} exited (${exited}) before it became healthy; last ${LOG_TAIL_LINES} lines of ${logFile}:\n${logTail(logFile)}`);
    }
    try {
      const res = await fetch(healthUrl, { signal: AbortSignal.timeout(1000), headers: { 'user-agent': harnessUserAgent() } });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() >= deadline) {
      throw new StackStartError(
        `${w.name} did not answer GET ${healthUrl} with 2xx within ${Math.round(w.timeoutMs / 1000)} s; last ${LOG_TAIL_LINES} lines of ${logFile}:\n${logTail(logFile)}`,
      );
    }
    await delay(HEALTH_POLL_MS);
  }
}

/** Waits for an embedded role's health endpoint, failing early when its process exits. */
async function waitChildHealthy(child: ChildProcess, planned: PlannedRole, healthPath: string, logFile: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const onExit = (code: number | null, sig: NodeJS.Signals | null) => (exited = { code, signal: sig });
  child.once('exit', onExit);
  try {
    await waitHealthy({
      planned,
      name: `the embedded ${planned.role}`,
      healthPath,
      logFile,
      timeoutMs,
      signal,
      exited: () => {
        if (exited) return exitDescription(exited.code, exited.signal);
        if (child.exitCode !== null || child.signalCode !== null) return exitDescription(child.exitCode, child.signalCode);
        return undefined;
      },
    });
  } finally {
    child.off('exit', onExit);
  }
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolvePromise) => {
    const timer = setTimeout(() => {
      child.off('exit', done);
      resolvePromise(false);
    }, ms);
    function done() {
      clearTimeout(timer);
      resolvePromise(true);
    }
    child.once('exit', done);
  });
}

async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  if (await waitExit(child, graceMs)) return;
  child.kill('SIGKILL');
  await waitExit(child, 5000);
}

/**
 * The roles to start, in waves: a role joins the first wave after every role it depends on
 * (embeddedDependencies) that is started too. Roles of one wave start at the same time.
 */
export function startWaves(roles: readonly Role[], profile: TargetProfile): Role[][] {
  const waves: Role[][] = [];
  const placed = new Map<Role, number>();
  for (const role of START_ORDER.filter((r) => roles.includes(r))) {
    const after = embeddedDependencies(role, profile).filter((d) => placed.has(d)).map((d) => placed.get(d)!);
    const wave = after.length ? Math.max(...after) + 1 : 0;
    placed.set(role, wave);
    (waves[wave] ??= []).push(role);
  }
  return waves;
}

/**
 * Launches `plans` wave by wave (startWaves): the roles of a wave start together once the last
 * wave is healthy. Rejects with the first failure of a wave, leaving the stopping to the caller.
 */
export async function launchInWaves<P extends { role: Role }>(plans: readonly P[], profile: TargetProfile, launch: (plan: P) => Promise<unknown>): Promise<void> {
  for (const wave of startWaves(plans.map((p) => p.role), profile)) {
    const results = await Promise.allSettled(plans.filter((p) => wave.includes(p.role)).map(launch));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

/** Starts the given embedded roles; on any failure stops what it started and throws StackStartError. */
export async function startStack(options: StartStackOptions): Promise<RunningStack> {
  const table: RoleTable = { ...defaultRoleTable(), ...options.table };
  const controlToken = options.controlToken ?? randomBytes(32).toString('hex');
  const graceMs = options.stopGraceMs ?? 5000;
  const planned = await planPorts(options.roles, options);

  for (const p of planned) {
    const script = table[p.role].script;
    if (!existsSync(script)) {
      throw new StackStartError(`cannot start the embedded ${p.role}: ${script} does not exist; run \`npm run build\` first`);
    }
  }

  const urls = runUrls(options.profile, planned);

  mkdirSync(options.logsDir, { recursive: true });
  const started: { child: ChildProcess; info: StackRole }[] = [];
  const listeners: ((role: Role, code: number | null, signal: NodeJS.Signals | null) => void)[] = [];
  const healthy = new Set<Role>();
  let stopping = false;

  const stop = async () => {
    stopping = true;
    await Promise.all([...started].reverse().map(({ child }) => stopChild(child, graceMs)));
  };

  const launch = async (p: (typeof planned)[number]): Promise<void> => {
    const spec = table[p.role];
    const ctx: LaunchContext = { role: p.role, port: p.port, host: LOOPBACK, url: p.url, urls, profile: options.profile };
    const logFile = join(options.logsDir, `${p.role}.log`);
    const args = spec.args(ctx);
    const env = { ...process.env, ...roleEnvironment(spec, ctx, controlToken) };
    options.onProgress?.(`starting ${p.role} on ${p.url} (log: ${logFile})`);
    const fd = openSync(logFile, 'w');
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [...(spec.execArgv ?? []), spec.script, ...args], { env, stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    track(child);
    // A spawn failure surfaces as an early exit in waitHealthy; keep it from crashing the runner.
    child.on('error', () => undefined);
    const info: StackRole = { role: p.role, url: p.url, port: p.port, pid: child.pid ?? -1, logFile };
    started.push({ child, info });
    child.once('exit', (code, sig) => {
      if (!stopping && healthy.has(p.role)) for (const l of listeners) l(p.role, code, sig);
    });
    await waitChildHealthy(child, p, spec.healthPath, logFile, options.healthTimeoutMs ?? 30_000, options.signal);
    healthy.add(p.role);
  };

  try {
    await launchInWaves(planned, options.profile, launch);
  } catch (e) {
    await stop();
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
