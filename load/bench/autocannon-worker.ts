/**
 * Runs in its own process (load-generator.ts): one warm-up, then the measured run of
 * autocannon, and prints LoadFigures as JSON on stdout.
 */
import autocannon from 'autocannon';
import type { LoadFigures, LoadOptions, LoadRequest } from './load-generator.js';

interface WorkerInput extends LoadOptions {
  request: LoadRequest;
  expectedStatus: number;
}

const input = JSON.parse(process.argv[2] ?? '{}') as WorkerInput;

function once(durationSeconds: number): Promise<autocannon.Result> {
  return autocannon({
    url: input.request.url,
    method: input.request.method,
    headers: input.request.headers ?? {},
    ...(input.request.body !== undefined ? { body: input.request.body } : {}),
    connections: input.connections,
    duration: durationSeconds,
  });
}

if (input.warmupSeconds > 0) await once(input.warmupSeconds);
const result = await once(input.durationSeconds);
// Every answer's status is counted, so a server that fails fast never looks fast.
const byStatus = (result as unknown as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {};
const expected = byStatus[String(input.expectedStatus)]?.count ?? 0;
const total = Object.values(byStatus).reduce((sum, s) => sum + s.count, 0) + result.errors + result.timeouts;
const figures: LoadFigures = {
  requestsPerSecond: result.requests.average,
  p50Ms: result.latency.p50,
  p99Ms: result.latency.p99,
  unexpected: total - expected,
  total,
};
process.stdout.write(JSON.stringify(figures));
