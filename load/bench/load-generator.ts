/**
 * HTTP figures come from autocannon (a well-kept load generator), run in its own process and,
 * where the machine has a second core, pinned to it with taskset(1) while the measured servers
 * are pinned to the first: the generator's own CPU then never counts against the server.
 */
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';

const run = promisify(execFile);
const WORKER = fileURLToPath(new URL('./autocannon-worker.js', import.meta.url));

/** One kind of request, sent over and over. */
export interface LoadRequest {
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadOptions {
  connections: number;
  /** Seconds measured, after `warmupSeconds` not measured. */
  durationSeconds: number;
  warmupSeconds: number;
}

/** What autocannon measured: throughput in requests per second, latencies in milliseconds. */
export interface LoadFigures {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers with another status than `expectedStatus`, plus connection errors and timeouts. */
  unexpected: number;
  total: number;
}

/** Whether taskset can pin processes here (Linux with util-linux, and at least two cores). */
export const CAN_PIN = availableParallelism() >= 2 && spawnSync('taskset', ['-V']).status === 0;

/** Pins a running process (all its threads) to `core`; no-op where pinning is unavailable. */
export async function pin(pid: number, core: number): Promise<void> {
  if (CAN_PIN) await run('taskset', ['-a', '-p', '-c', String(core), String(pid)]);
}

/** Runs autocannon against `request`; throws when the answers are not all `expectedStatus`. */
export async function measure(request: LoadRequest, expectedStatus: number, options: LoadOptions): Promise<LoadFigures> {
  const args = [WORKER, JSON.stringify({ request, expectedStatus, ...options })];
  const command = CAN_PIN ? 'taskset' : process.execPath;
  const { stdout } = await run(command, CAN_PIN ? ['-c', '1', process.execPath, ...args] : args, { maxBuffer: 16 * 1024 * 1024 });
  const figures = JSON.parse(stdout) as LoadFigures;
  if (figures.total === 0 || figures.unexpected > 0) {
    throw new Error(`${request.method} ${request.url}: ${figures.unexpected} of ${figures.total} answers were not HTTP ${expectedStatus}`);
  }
  return figures;
}
