/**
 * Removing a run's containers by label (container-labels.ts), and the watchdog that does it
 * when the runner dies without stopping them (a second Ctrl-C, SIGKILL, a crash): a detached
 * Node process (reaper-main.ts) that outlives the runner, the job Ryuk would do.
 * testcontainers is imported lazily: the embedded runtime never loads it.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isOrphan, RUN_LABEL } from './container-labels.js';

interface ContainerSummary {
  Id: string;
  Names?: string[];
  Labels?: Record<string, string>;
}

async function engine() {
  const { getContainerRuntimeClient } = await import('testcontainers');
  return (await getContainerRuntimeClient()).container.dockerode;
}

async function removeAll(containers: readonly ContainerSummary[]): Promise<string[]> {
  const docker = await engine();
  const removed: string[] = [];
  for (const c of containers) {
    try {
      await docker.getContainer(c.Id).remove({ force: true, v: true });
      removed.push(c.Id);
    } catch (e) {
      // 404: gone already (its own stop got there first).
      if ((e as { statusCode?: number }).statusCode !== 404) throw e;
    }
  }
  return removed;
}

/** The containers carrying label `key=value` (running or not). */
export async function listLabelled(key: string, value?: string): Promise<ContainerSummary[]> {
  const docker = await engine();
  return (await docker.listContainers({ all: true, filters: { label: [value === undefined ? key : `${key}=${value}`] } })) as ContainerSummary[];
}

/** Force-removes every container of run `runId`; resolves the removed ids. */
export async function removeRunContainers(runId: string): Promise<string[]> {
  return removeAll(await listLabelled(RUN_LABEL, runId));
}

/** Force-removes the containers of earlier runs whose runner died on this machine (isOrphan). */
export async function removeOrphans(): Promise<string[]> {
  return removeAll((await listLabelled(RUN_LABEL)).filter((c) => isOrphan(c.Labels)));
}

/**
 * Starts the watchdog of run `runId`: it removes the run's containers once this process has
 * exited, however it ended. Resolves a function that ends the watchdog (after a normal stop).
 * The watchdog is compiled JavaScript (dist/); without it (ts-jest) this throws.
 */
export function startWatchdog(runId: string, env: NodeJS.ProcessEnv = process.env): () => void {
  const script = fileURLToPath(new URL('./reaper-main.js', import.meta.url));
  if (!existsSync(script)) throw new Error(`the container watchdog ${script} does not exist; run \`npm run build\` first`);
  const child = spawn(process.execPath, [script, '--pid', String(process.pid), '--run', runId], { detached: true, stdio: 'ignore', env });
  child.on('error', () => undefined);
  child.unref();
  return () => {
    try {
      child.kill('SIGTERM');
    } catch {
      // already gone
    }
  };
}
