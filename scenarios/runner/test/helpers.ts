/**
 * Test support for the runner's own tests (not compiled into dist: tsconfig.build excludes
 * test/ folders). Nothing here talks to the real apps.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listenOnLoopback, readBody, type LoopbackServer } from '#common/testing/loopback';
import { allClauses } from '#contracts';
import { mergeProfiles, readEmbeddedProfile, type TargetOverride, type TargetProfile, type TargetProfileFile } from '../profile.js';
import type { Writer } from '../reporters/console.js';
import type { RoleLaunchSpec } from '../stack/role-table.js';
import type { CheckResult, RecordedExchange, RunResult, ScenarioResult } from '../types.js';

/** Real clause ids of contracts/clauses.yaml (whichever exist today). */
export function clauseIds(n = 1): string[] {
  const ids = [...allClauses().keys()].slice(0, n);
  if (ids.length < n) throw new Error(`contracts/clauses.yaml has fewer than ${n} clauses`);
  return ids;
}

export function testProfile(user?: TargetProfileFile, overrides: TargetOverride[] = []): TargetProfile {
  return mergeProfiles(readEmbeddedProfile(), user, overrides);
}

export function tempDir(prefix = 'aah-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export class Sink implements Writer {
  text = '';
  write(text: string): boolean {
    this.text += text;
    return true;
  }
}

export type TestServer = LoopbackServer;

/** The tests' one loopback server (apps/common/src/testing/loopback.ts), handed the request body read in full. */
export function startServer(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<TestServer> {
  return listenOnLoopback((req, res) => void readBody(req).then((body) => handler(req, res, body)));
}

/**
 * A tiny stand-in for an emulator, run as a child process by the launcher tests. Behaviour
 * by TINY_MODE: ok (default), slow (listens after 400 ms), exit (prints 30 lines, exits 7),
 * unhealthy (health answers 503), ignore-term (survives SIGTERM). It keeps a request log
 * and serves the harness control API (GET /-/harness/requests) behind HARNESS_CONTROL_TOKEN;
 * GET /trigger makes it call its own /upstream with the gateway's User-Agent, so the log
 * holds traffic the harness did not send.
 */
export const TINY_APP_SOURCE = `
import http from 'node:http';
const args = process.argv.slice(2);
const arg = (n) => { const i = args.indexOf('--' + n); return i >= 0 ? args[i + 1] : undefined; };
const port = Number(arg('port'));
const host = arg('host') ?? '127.0.0.1';
const mode = process.env.TINY_MODE ?? 'ok';
console.log(JSON.stringify({ msg: 'starting', pid: process.pid, args, env: {
  SAAS_URL: process.env.SAAS_URL, AIGW_TRUSTED_ISSUERS: process.env.AIGW_TRUSTED_ISSUERS,
  AIGW_MODEL_URL: process.env.AIGW_MODEL_URL, LOG_LEVEL: process.env.LOG_LEVEL,
  controlTokenLength: (process.env.HARNESS_CONTROL_TOKEN ?? '').length } }));
if (mode === 'exit') {
  for (let i = 1; i <= 30; i++) console.log('line ' + i);
  process.exit(7);
}
if (mode === 'ignore-term') process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
const log = [];
const server = http.createServer((req, res) => {
  const started = Date.now();
  res.on('finish', () => {
    if (!req.url.startsWith('/-/harness')) log.push({ at: new Date().toISOString(), method: req.method, path: req.url,
      status: res.statusCode, durationMs: Date.now() - started, userAgent: req.headers['user-agent'] });
  });
  const send = (status, body) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
  if (req.url.startsWith('/-/harness/')) {
    if (req.headers['x-harness-control-token'] !== process.env.HARNESS_CONTROL_TOKEN) return send(401, { message: '401 Unauthorized' });
    if (req.url.startsWith('/-/harness/requests')) {
      const since = new URL(req.url, 'http://x').searchParams.get('since') ?? '';
      return send(200, { requests: log.filter((e) => e.at >= since) });
    }
    return send(404, { message: 'no such control route' });
  }
  if (req.url === '/healthz' || req.url === '/-/health' || req.url === '/monitoring/healthz') {
    return mode === 'unhealthy' ? send(503, { status: 'starting' }) : send(200, { status: 'ok' });
  }
  if (req.url === '/trigger') {
    fetch('http://127.0.0.1:' + port + '/upstream', { headers: { 'user-agent': 'ai-auth-harness-ai-gateway/0.1.0' } })
      .then((r) => r.text()).then(() => send(200, { triggered: true }), (e) => send(502, { error: String(e) }));
    return;
  }
  if (req.url === '/upstream') return send(200, { upstream: true });
  if (req.url === '/pid') return send(200, { pid: process.pid });
  send(404, { message: '404 Not Found' });
});
const listen = () => server.listen(port, host, () => console.log(JSON.stringify({ msg: 'listening', port })));
if (mode === 'slow') setTimeout(listen, 400); else listen();
`;

/** Writes the tiny app into `dir` and returns a launch spec running it with `env`. */
export function tinyAppSpec(dir: string, env: Record<string, string> = {}): RoleLaunchSpec {
  const script = join(dir, 'tiny-app.mjs');
  writeFileSync(script, TINY_APP_SOURCE);
  return {
    script,
    args: (ctx) => ['--port', String(ctx.port), '--host', ctx.host],
    env: () => env,
    healthPath: '/healthz',
  };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// ---- a RunResult fixture for reporter tests ----

export function exchange(partial: Partial<RecordedExchange> & Pick<RecordedExchange, 'id'>): RecordedExchange {
  return {
    from: 'ide',
    to: 'ai-gateway',
    kind: 'scenario',
    method: 'POST',
    url: 'http://127.0.0.1:5052/v2/code/completions',
    startedAt: '2025-01-01T00:00:00.000Z',
    durationMs: 10,
    request: { headers: { 'user-agent': 'ai-auth-harness/0.1.0' } },
    response: { status: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' },
    ...partial,
  };
}

export function checkResult(partial: Partial<CheckResult> & Pick<CheckResult, 'id' | 'status'>): CheckResult {
  return {
    title: `title of ${partial.id}`,
    severity: 'MUST',
    clauses: [{ id: 'seed-000.o2.step-4', source: 'seed 000, option 2, step 4', text: 'Web IDE FE calls Model Gateway API.' }],
    durationMs: 3,
    exchangeIds: [],
    ...partial,
  };
}

export function runResult(scenarios: ScenarioResult[], exitCode = 1): RunResult {
  const checks = scenarios.flatMap((s) => s.checks);
  const n = (s: string) => checks.filter((c) => c.status === s).length;
  return {
    tool: { name: 'ai-auth-harness', version: '0.1.0' },
    startedAt: '2025-01-01T00:00:00.000Z',
    finishedAt: '2025-01-01T00:00:02.500Z',
    profile: 'embedded',
    targets: [{ role: 'ai-gateway', url: 'http://127.0.0.1:5052', embedded: true }],
    scenarios,
    summary: { passed: n('PASSED'), failed: n('FAILED'), warnings: n('WARNING'), skipped: n('SKIPPED'), blocked: n('BLOCKED'), total: checks.length },
    exitCode,
  };
}

export function scenarioResult(partial: Partial<ScenarioResult> & Pick<ScenarioResult, 'id'>): ScenarioResult {
  return {
    title: `title of ${partial.id}`,
    seeds: ['000'],
    status: 'FINISHED',
    startedAt: '2025-01-01T00:00:00.000Z',
    durationMs: 1200,
    checks: [],
    exchanges: [],
    ...partial,
  };
}
