/**
 * The HTTP hygiene every app keeps, as one e2e suite each app runs against its compiled entry
 * point (real process, real sockets, configuration from the environment as in production):
 * no error body echoes the path or the query, a known path with another method is 405 with
 * Allow, a request that stalls is 408 with the connection closed within the configured bound,
 * and no credential sent reaches the logs or the harness request log.
 */
import { HEADER, PATH } from '../../../../contracts/src/index.js';
import type { ErrorShape } from '../exceptions.js';
import { type HttpTimeouts, timeoutCheckIntervalMs } from '../http-server.js';
import { rawExchange, type SpawnedApp, spawnApp } from './http-probe.js';

export interface HttpHygieneTarget {
  /** The app's directory under apps/ (its dist/apps/<app>/src/main.js is started). */
  app: string;
  args?: string[];
  /** Extra environment (the suite adds the bounds, the control token and LOG_LEVEL). */
  env?: Record<string, string>;
  /** The app's error shape: every expected body is built from it. */
  shape: ErrorShape;
  /** A route that takes a JSON body (for the half-sent body). */
  postRoute: string;
  /** A path with routes, requested with a method it lacks: the 405 must name `allow`. */
  wrongMethod: { method: string; path: string; allow: string };
}

const PAT = 'glpat-Zq8xY2pLm3Nw4Rt5Uv6W';
const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJlLWh5Z2llbmU';
const OPAQUE = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b';
const SECRETS = [PAT.slice(6), 'c2lnbmF0dXJlLWh5Z2llbmU', OPAQUE];
const CONTROL_TOKEN = 'http-hygiene-control-token-0123';
const TIMEOUTS: HttpTimeouts = { headersTimeoutMs: 300, requestTimeoutMs: 600 };
/** Never before the bound; at most one check interval after it, plus generous scheduling slack. */
const within = (elapsedMs: number, boundMs: number) =>
  elapsedMs >= boundMs - 50 && elapsedMs < boundMs + timeoutCheckIntervalMs(TIMEOUTS) + 2000;

/** Registers the suite in the caller's describe block. */
export function itKeepsHttpHygiene(target: HttpHygieneTarget): void {
  let app: SpawnedApp;
  const body = (status: number, reason: string) => JSON.stringify(target.shape(status, reason));
  const secretQuery = `private_token=${PAT}&private_token[]=${PAT}&sid=${OPAQUE}&jwt=${JWT}`;

  beforeAll(async () => {
    app = await spawnApp(target.app, target.args ?? [], {
      LOG_LEVEL: 'trace',
      HARNESS_CONTROL_TOKEN: CONTROL_TOKEN,
      HEADERS_TIMEOUT_MS: String(TIMEOUTS.headersTimeoutMs),
      REQUEST_TIMEOUT_MS: String(TIMEOUTS.requestTimeoutMs),
      PORT: '0',
      ...target.env,
    });
  });
  afterAll(() => app?.stop());

  it('answers an unknown path 404 in its own shape, never echoing the path or the query', async () => {
    const res = await fetch(`${app.url}/api/v4/nowhere/${PAT}/${JWT}?${secretQuery}`, { headers: { 'user-agent': `probe/1.0 ${PAT}` } });
    expect(res.status).toBe(404);
    expect(await res.text()).toBe(body(404, 'Not Found'));
  });

  it('answers a known path with another method 405 with Allow, never echoing the query', async () => {
    const res = await fetch(`${app.url}${target.wrongMethod.path}?${secretQuery}`, { method: target.wrongMethod.method });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe(target.wrongMethod.allow);
    expect(await res.text()).toBe(body(405, 'Method Not Allowed'));
  });

  it('answers a malformed URL 400 in its own shape without quoting it', async () => {
    const answer = await rawExchange(app.port, `GET /%zz/${PAT}?${secretQuery} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect([answer.status, answer.body]).toEqual([400, body(400, 'Malformed URL')]);
  });

  it('answers 408 and closes the connection when a body stalls half-sent', async () => {
    const answer = await rawExchange(
      app.port,
      `POST ${target.postRoute} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer ${JWT}\r\nContent-Length: 64\r\n\r\n{"half": "`,
    );
    expect([answer.status, answer.headers.connection, answer.body, answer.closedByServer]).toEqual([408, 'close', body(408, 'Request Timeout'), true]);
    expect(within(answer.elapsedMs, TIMEOUTS.requestTimeoutMs)).toBe(true);
  });

  it('answers 408 and closes the connection when the headers stall', async () => {
    const answer = await rawExchange(app.port, `GET ${target.postRoute} HTTP/1.1\r\nHost: x\r\nPrivate-Token: ${PAT}\r\n`);
    expect([answer.status, answer.closedByServer]).toEqual([408, true]);
    expect(within(answer.elapsedMs, TIMEOUTS.headersTimeoutMs)).toBe(true);
  });

  it('keeps every credential it was sent out of the harness request log, whose paths stay readable', async () => {
    const res = await fetch(`${app.url}${PATH.HARNESS_CONTROL_PREFIX}/requests`, { headers: { [HEADER.HARNESS_CONTROL]: CONTROL_TOKEN } });
    expect(res.status).toBe(200);
    const text = await res.text();
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    expect(text).toContain('/api/v4/nowhere/glpat-[REDACTED]/[REDACTED]?private_token=%5BREDACTED%5D');
    expect(text).toContain('probe/1.0 glpat-[REDACTED]');
  });

  it('keeps every credential it was sent out of its logs', () => {
    const log = app.lines.join('\n');
    expect(log).toContain('"msg":"incoming request"');
    for (const secret of [...SECRETS, CONTROL_TOKEN]) expect(log).not.toContain(secret);
  });
}
