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

/** Two targets measured alternately (measureAlternately). */
export interface AlternateFigures {
  measured: LoadFigures;
  reference: LoadFigures;
  /** measured / reference requests per second in each round, in order. */
  ratios: number[];
  /** The median of `ratios`. */
  ratio: number;
}

/**
 * `measured` and `reference` in `rounds` alternating turns (measured, reference, measured, ...),
 * each turn `durationSeconds / rounds` long, so that what changes on a shared machine during a
 * run (a neighbour's load, CPU frequency) falls on both sides instead of on one. Only the first
 * turn of each side warms up for `warmupSeconds`; later turns for at most 1 s. Aggregates:
 * requests per second the mean of the turns, p50 the median, p99 the largest, counts summed; the
 * ratio is the median of the rounds' ratios. Throws as `measure` does.
 */
export async function measureAlternately(
  measured: { request: LoadRequest; status: number },
  reference: { request: LoadRequest; status: number },
  options: LoadOptions & { rounds: number },
  measureOnce: typeof measure = measure,
): Promise<AlternateFigures> {
  const turns: Array<[LoadFigures, LoadFigures]> = [];
  const turn = (round: number): LoadOptions => ({
    connections: options.connections,
    durationSeconds: options.durationSeconds / options.rounds,
    warmupSeconds: round === 0 ? options.warmupSeconds : Math.min(options.warmupSeconds, 1),
  });
  for (let round = 0; round < options.rounds; round++) {
    const a = await measureOnce(measured.request, measured.status, turn(round));
    const b = await measureOnce(reference.request, reference.status, turn(round));
    turns.push([a, b]);
  }
  const ratios = turns.map(([a, b]) => a.requestsPerSecond / b.requestsPerSecond);
  return { measured: combined(turns.map((t) => t[0])), reference: combined(turns.map((t) => t[1])), ratios, ratio: median(ratios) };
}

function combined(figures: LoadFigures[]): LoadFigures {
  return {
    requestsPerSecond: figures.reduce((sum, f) => sum + f.requestsPerSecond, 0) / figures.length,
    p50Ms: median(figures.map((f) => f.p50Ms)),
    p99Ms: Math.max(...figures.map((f) => f.p99Ms)),
    unexpected: figures.reduce((sum, f) => sum + f.unexpected, 0),
    total: figures.reduce((sum, f) => sum + f.total, 0),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
