/**
 * The labels every container of a `--runtime containers` run carries, and which containers are
 * left over from a run whose runner is gone. Testcontainers' own reaper (Ryuk) runs from an
 * image pulled from Docker Hub, which these machines cannot reach, so it is disabled
 * (TESTCONTAINERS_RYUK_DISABLED=true, see container-host.ts) and the run cleans up after itself
 * by these labels: at stop, from a watchdog when the runner dies (reaper-main.ts), and at the
 * start of the next run (orphans).
 */
import { hostname } from 'node:os';
import type { Role } from '#contracts';

/** The run's id: every container of one run has it. */
export const RUN_LABEL = 'io.ai-auth-harness.run';
/** `<hostname>:<pid>` of the runner that started the container. */
export const OWNER_LABEL = 'io.ai-auth-harness.owner';
/** The role the container runs. */
export const ROLE_LABEL = 'io.ai-auth-harness.role';

/** The labels of a container of run `runId` started by this process. */
export function runLabels(runId: string, role: Role, owner: string = ownerId()): Record<string, string> {
  return { [RUN_LABEL]: runId, [OWNER_LABEL]: owner, [ROLE_LABEL]: role };
}

/** This runner as an owner label value: `<hostname>:<pid>`. */
export function ownerId(pid: number = process.pid, host: string = hostname()): string {
  return `${host}:${pid}`;
}

/** Whether a process with this id runs on this machine (signal 0 checks without signalling). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A container of an earlier run whose runner is no longer alive on this machine. Containers
 * without our labels, and those owned by a runner on another machine (a shared remote engine),
 * are never orphans: we cannot tell whether their owner still needs them.
 */
export function isOrphan(
  labels: Readonly<Record<string, string>> | undefined,
  host: string = hostname(),
  alive: (pid: number) => boolean = processAlive,
): boolean {
  const run = labels?.[RUN_LABEL];
  const owner = labels?.[OWNER_LABEL];
  if (!run || !owner) return false;
  const at = owner.lastIndexOf(':');
  const ownerHost = owner.slice(0, at);
  const pid = Number(owner.slice(at + 1));
  if (at < 1 || ownerHost !== host || !Number.isInteger(pid) || pid < 1) return false;
  return !alive(pid);
}
