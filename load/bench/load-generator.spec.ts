import type { LoadFigures, LoadOptions, LoadRequest } from './load-generator.js';
import { measureAlternately } from './load-generator.js';

const request = (url: string): LoadRequest => ({ url, method: 'POST' });
const figures = (requestsPerSecond: number, p50Ms: number, p99Ms: number): LoadFigures => ({ requestsPerSecond, p50Ms, p99Ms, unexpected: 0, total: requestsPerSecond });

describe('measureAlternately: two targets in alternating rounds', () => {
  it('alternates the targets, splits the duration, warms up fully only the first turn of each, and takes the median ratio', async () => {
    const calls: Array<{ url: string; options: LoadOptions }> = [];
    // The machine slows down during the run: the measured side gets 1000, 500, 900; the reference 2000, 1000, 1000.
    const answers = [figures(1000, 1, 3), figures(2000, 1, 2), figures(500, 2, 9), figures(1000, 1, 4), figures(900, 1, 3), figures(1000, 1, 2)];
    const fake = async (req: LoadRequest, _status: number, options: LoadOptions) => {
      calls.push({ url: req.url, options });
      return answers[calls.length - 1]!;
    };
    const result = await measureAlternately({ request: request('http://gw'), status: 403 }, { request: request('http://ref'), status: 403 }, { connections: 10, durationSeconds: 9, warmupSeconds: 2, rounds: 3 }, fake);
    expect(calls.map((c) => c.url)).toEqual(['http://gw', 'http://ref', 'http://gw', 'http://ref', 'http://gw', 'http://ref']);
    expect(calls.map((c) => c.options.durationSeconds)).toEqual([3, 3, 3, 3, 3, 3]);
    expect(calls.map((c) => c.options.warmupSeconds)).toEqual([2, 2, 1, 1, 1, 1]);
    expect(result.ratios).toEqual([0.5, 0.5, 0.9]);
    expect(result.ratio).toBe(0.5);
    expect(result.measured).toEqual({ requestsPerSecond: 800, p50Ms: 1, p99Ms: 9, unexpected: 0, total: 2400 });
    expect(result.reference.requestsPerSecond).toBeCloseTo(4000 / 3);
  });

  it('passes a failed turn on (answers of another status) instead of a ratio', async () => {
    const failing = async () => {
      throw new Error('POST http://gw: 3 of 10 answers were not HTTP 200');
    };
    await expect(measureAlternately({ request: request('http://gw'), status: 200 }, { request: request('http://ref'), status: 200 }, { connections: 1, durationSeconds: 1, warmupSeconds: 0, rounds: 2 }, failing)).rejects.toThrow('3 of 10');
  });
});
