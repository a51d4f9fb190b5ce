/**
 * The HTTP hygiene every app keeps, as one e2e suite each app runs (in-process on real sockets,
 * configured from environment-style settings as main() would be): no error body echoes the
 * path or the query, a known path with another method is 405 with Allow, a request that stalls
 * is 408 with the connection closed within the configured bound, and no credential sent reaches
 * the logs or the harness request log.
 */
import { PATH } from '#contracts';
import type { App, AppDeps } from '../app-definition.js';
import type { ServerConfig } from '../config.js';
import type { ErrorShape } from '../exceptions.js';
import { type HttpTimeouts, timeoutCheckIntervalMs } from '../http-server.js';
import { startTestApp, TEST_CONTROL_TOKEN, type TestApp } from './app.js';
import { rawExchange } from './http-probe.js';

export interface HttpHygieneTarget<C extends ServerConfig, D extends AppDeps> {
  app: App<C, D>;
  /** Extra settings (the suite adds the bounds, the control API, LOG_LEVEL and ACCESS_LOG). */
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
const TIMEOUTS: HttpTimeouts = { headersTimeoutMs: 300, requestTimeoutMs: 600 };
/** Never before the bound; at most one check interval after it, plus generous scheduling slack. */
const within = (elapsedMs: number, boundMs: number) =>
  elapsedMs >= boundMs - 50 && elapsedMs < boundMs + timeoutCheckIntervalMs(TIMEOUTS) + 2000;

/** Registers the suite in the caller's describe block. */
export function itKeepsHttpHygiene<C extends ServerConfig, D extends AppDeps>(target: HttpHygieneTarget<C, D>): void {
  let app: TestApp<C>;
  const body = (status: number, reason: string) => JSON.stringify(target.shape(status, reason));
  const secretQuery = `private_token=${PAT}&private_token[]=${PAT}&sid=${OPAQUE}&jwt=${JWT}`;
  /** An unknown path carrying every kind of secret in its path, query and User-Agent. */
  const unknownPath = () => fetch(`${app.url}/api/v4/nowhere/${PAT}/${JWT}?${secretQuery}`, { headers: { 'user-agent': `probe/1.0 ${PAT}` } });
  const wrongMethod = () => fetch(`${app.url}${target.wrongMethod.path}?${secretQuery}`, { method: target.wrongMethod.method });
  const halfSentBody = () =>
    rawExchange(
      app.port,
      `POST ${target.postRoute} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer ${JWT}\r\nContent-Length: 64\r\n\r\n{"half": "`,
    );
  const stalledHeaders = () => rawExchange(app.port, `GET ${target.postRoute} HTTP/1.1\r\nHost: x\r\nPrivate-Token: ${PAT}\r\n`);

  beforeAll(async () => {
    app = await startTestApp(target.app, {
      LOG_LEVEL: 'trace',
      ACCESS_LOG: 'true',
      HEADERS_TIMEOUT_MS: String(TIMEOUTS.headersTimeoutMs),
      REQUEST_TIMEOUT_MS: String(TIMEOUTS.requestTimeoutMs),
      ...target.env,
    });
  });
  afterAll(() => app?.close());

  it('answers an unknown path 404 in its own shape, never echoing the path or the query', async () => {
    const res = await unknownPath();
    expect(res.status).toBe(404);
    expect(await res.text()).toBe(body(404, 'Not Found'));
  });

  it('answers a known path with another method 405 with Allow, never echoing the query', async () => {
    const res = await wrongMethod();
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe(target.wrongMethod.allow);
    expect(await res.text()).toBe(body(405, 'Method Not Allowed'));
  });

  it('answers a malformed URL 400 in its own shape without quoting it', async () => {
    const answer = await rawExchange(app.port, `GET /%zz/${PAT}?${secretQuery} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect([answer.status, answer.body]).toEqual([400, body(400, 'Malformed URL')]);
  });

  it('answers 408 and closes the connection when a body stalls half-sent', async () => {
    const answer = await halfSentBody();
    expect([answer.status, answer.headers.connection, answer.body, answer.closedByServer]).toEqual([408, 'close', body(408, 'Request Timeout'), true]);
    expect(within(answer.elapsedMs, TIMEOUTS.requestTimeoutMs)).toBe(true);
  });

  it('answers 408 and closes the connection when the headers stall', async () => {
    const answer = await stalledHeaders();
    expect([answer.status, answer.closedByServer]).toEqual([408, true]);
    expect(within(answer.elapsedMs, TIMEOUTS.headersTimeoutMs)).toBe(true);
  });

  describe('with every kind of credential sent (path, query, User-Agent, Authorization, Private-Token, control token)', () => {
    beforeAll(async () => {
      await (await unknownPath()).text();
      await (await wrongMethod()).text();
      await halfSentBody();
      await stalledHeaders();
    });

    it('keeps them out of the harness request log, whose paths stay readable', async () => {
      const res = await app.control('GET', `${PATH.HARNESS_CONTROL_PREFIX}/requests`);
      expect(res.status).toBe(200);
      const text = await res.text();
      for (const secret of SECRETS) expect(text).not.toContain(secret);
      expect(text).toContain('/api/v4/nowhere/glpat-[REDACTED]/[REDACTED]?private_token=%5BREDACTED%5D');
      expect(text).toContain('probe/1.0 glpat-[REDACTED]');
    });

    it('keeps them out of its logs', async () => {
      expect((await app.control('GET', `${PATH.HARNESS_CONTROL_PREFIX}/requests`)).status).toBe(200);
      const log = app.lines.join('\n');
      expect(log).toContain('"msg":"incoming request"');
      expect(log).toContain('/api/v4/nowhere/');
      for (const secret of [...SECRETS, TEST_CONTROL_TOKEN]) expect(log).not.toContain(secret);
    });
  });
}
