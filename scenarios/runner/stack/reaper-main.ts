/**
 * The watchdog of a `--runtime containers` run (started by container-cleanup.ts startWatchdog,
 * detached): `node reaper-main.js --pid <runner pid> --run <run id>`. It waits for the runner
 * to exit, then force-removes the run's containers and ends. SIGTERM (the runner stopped its
 * containers itself) ends it without removing anything.
 */
import { parseArgs } from 'node:util';
import { setTimeout as delay } from 'node:timers/promises';
import { processAlive } from './container-labels.js';
import { removeRunContainers } from './container-cleanup.js';

const POLL_MS = 500;

const { values } = parseArgs({ options: { pid: { type: 'string' }, run: { type: 'string' } } });
const pid = Number(values.pid);
const runId = values.run;
if (!Number.isInteger(pid) || pid < 1 || !runId) {
  process.stderr.write('usage: reaper-main.js --pid <runner pid> --run <run id>\n');
  process.exit(2);
}
process.on('SIGTERM', () => process.exit(0));
// The runner's Ctrl-C reaches the whole process group; the watchdog has its own (detached), but
// a terminal may still send it SIGHUP: it must outlive the runner.
process.on('SIGHUP', () => undefined);
process.on('SIGINT', () => undefined);

while (processAlive(pid)) await delay(POLL_MS);
try {
  await removeRunContainers(runId);
} catch {
  // Nobody is left to tell; the next run removes the orphans (container-labels.ts isOrphan).
}
process.exit(0);
