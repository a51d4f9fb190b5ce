/**
 * The child processes an end-to-end test started and has not yet seen exit. A test that times
 * out leaves its child running (a CLI run holds a whole embedded stack), and a live child keeps
 * Jest from exiting: `afterAll` in test/setup-after-env.ts ends them (SIGTERM, which the runner's
 * launcher passes on to its roles, then SIGKILL).
 */
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();

/** Tracks `child` until it exits. */
export function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Ends every tracked child still running; resolves when all have exited (SIGKILL after `graceMs`). */
export async function endLiveChildren(graceMs = 5_000): Promise<void> {
  await Promise.all(
    [...live].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
          child.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
}
