/**
 * Locust, the load generator (MIT; k6, the choice, is AGPL and may not be used here):
 * installed at its pinned version into .venv-load/ by load/install-locust.sh when missing, and
 * run headless on one scenario file with its progress on this process's output.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '#contracts';

/** The locust executable: LOCUST_BIN when set, else the project's pinned one (installed by the script if missing). */
export function ensureLocust(progress: (message: string) => void): string {
  if (process.env.LOCUST_BIN) return process.env.LOCUST_BIN;
  const script = join(projectRoot(), 'load', 'install-locust.sh');
  progress(`checking Locust (${script})`);
  const result = spawnSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const bin = result.stdout?.trim().split('\n').pop();
  if (result.status !== 0 || !bin) throw new Error(`load/install-locust.sh failed (exit ${result.status ?? result.signal}); see its messages above`);
  return bin;
}

export interface LocustRun {
  bin: string;
  scenario: string;
  users: number;
  durationSeconds: number;
  env: Record<string, string>;
  /** Killed (SIGTERM, then SIGKILL 10 s later) if still running this long after its run time. */
  graceSeconds?: number;
}

/** The command line of one headless run (progress printed every few seconds, not --only-summary). */
export function locustArgs(run: Omit<LocustRun, 'bin' | 'env'>, gatewayUrl: string): string[] {
  return [
    '-f',
    join(projectRoot(), 'load', 'locust', `${run.scenario}.py`),
    '--headless',
    '--host',
    gatewayUrl,
    '--users',
    String(run.users),
    '--spawn-rate',
    String(run.users),
    '--run-time',
    `${Math.ceil(run.durationSeconds)}s`,
    '--stop-timeout',
    '5',
    '--loglevel',
    'INFO',
  ];
}

/** Runs Locust to its exit; its exit code (1 when a threshold failed), or 1 when it died of a signal. */
export function runLocust(run: LocustRun, gatewayUrl: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(run.bin, locustArgs(run, gatewayUrl), { cwd: projectRoot(), env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', ...run.env }, stdio: ['ignore', 'inherit', 'inherit'] });
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    const onInt = forward('SIGINT');
    const onTerm = forward('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    const limit = (run.durationSeconds + (run.graceSeconds ?? 60)) * 1000;
    const watchdog = setTimeout(() => {
      process.stderr.write(`load: Locust still runs ${Math.round(limit / 1000)} s after it started; stopping it\n`);
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    }, limit);
    watchdog.unref();
    child.once('error', (e) => {
      clearTimeout(watchdog);
      reject(new Error(`cannot run ${run.bin}: ${e.message}`));
    });
    child.once('exit', (code) => {
      clearTimeout(watchdog);
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(code ?? 1);
    });
  });
}
