import { jest } from '@jest/globals';
import { TransportError } from '../signals.js';
import { startServer, type TestServer } from '../test/helpers.js';
import { toolInfo } from '../version.js';
import { RecordingControlClient, RecordingHttpClient } from './http-client.js';
import { ExchangeRecorder } from './recorder.js';
import type { RecordedExchange } from '../types.js';

const JWT = 'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMDAxIn0.U0lHTkFUVVJFLVNFQ1JFVA';
const PAT = 'glpat-saas-dev-ai-features';
const CONTROL = 'c0ntr0l-t0ken-0123456789abcdef';

describe('recording HTTP client', () => {
  let server: TestServer;
  let seen: { method?: string; url?: string; headers: Record<string, string | string[] | undefined>; body: string }[];
  let recorder: ExchangeRecorder;
  let sink: RecordedExchange[];

  beforeAll(async () => {
    server = await startServer((req, res, body) => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      if (req.url === '/token') {
        res.writeHead(201, { 'content-type': 'application/json', 'set-cookie': ['_gitlab_session=s3ss10n; path=/; HttpOnly', 'known_sign_in=abc; path=/'] });
        res.end(JSON.stringify({ access_token: JWT, expires_in: 3600 }));
      } else if (req.url === '/redirect') {
        res.writeHead(302, { location: 'http://ide.example/cb?code=the-auth-code&state=xyz' });
        res.end();
      } else if (req.url === '/slow') {
        setTimeout(() => res.end('late'), 500);
      } else if (req.url === '/big') {
        res.end('x'.repeat(40_000));
      } else if (req.url?.startsWith('/-/harness/')) {
        if (req.headers['x-harness-control-token'] !== CONTROL) {
          res.writeHead(401, { 'content-type': 'application/json' });
          res.end('{"message":"401 Unauthorized"}');
        } else if (req.url === '/-/harness/flags/x') {
          res.writeHead(422, { 'content-type': 'application/json' });
          res.end('{"message":"unknown flag x"}');
        } else {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ ok: true, got: body ? JSON.parse(body) : null }));
        }
      } else {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('plain');
      }
    });
  });
  afterAll(() => server.close());
  beforeEach(() => {
    seen = [];
    recorder = new ExchangeRecorder();
    sink = [];
    recorder.collectInto(sink);
  });

  const client = (timeoutMs = 2000) => new RecordingHttpClient({ recorder, from: 'ide', to: 'gitlab-saas', baseUrl: server.url, timeoutMs });

  it('sends the harness User-Agent and JSON, and gives the check the real (unredacted) response', async () => {
    const res = await client().request({
      method: 'POST',
      path: '/token',
      headers: { Authorization: `Bearer ${PAT}`, Cookie: '_gitlab_session=s3ss10n' },
      json: { username: 'saas-developer', password: 'duo-demo-password' },
      label: 'get a token',
    });
    expect(seen[0]!.headers['user-agent']).toBe(`ai-auth-harness/${toolInfo().version}`);
    expect(seen[0]!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(seen[0]!.body)).toEqual({ username: 'saas-developer', password: 'duo-demo-password' });
    expect(res.status).toBe(201);
    expect(res.json).toEqual({ access_token: JWT, expires_in: 3600 });
    expect(res.setCookies).toEqual(['_gitlab_session=s3ss10n; path=/; HttpOnly', 'known_sign_in=abc; path=/']);
    expect(res.request).toBe(`POST ${server.url}/token`);
    expect(res.exchangeId).toBe(sink[0]!.id);
  });

  it('records the exchange with every credential redacted at recording time', async () => {
    await client().request({
      method: 'POST',
      path: '/token',
      headers: { Authorization: `Bearer ${JWT}`, 'PRIVATE-TOKEN': PAT, Cookie: '_gitlab_session=s3ss10n' },
      json: { password: 'duo-demo-password', token: PAT },
      label: 'get a token',
    });
    const x = sink[0]!;
    expect(x).toMatchObject({ from: 'ide', to: 'gitlab-saas', kind: 'scenario', method: 'POST', label: 'get a token', url: `${server.url}/token` });
    expect(x.request.headers.authorization).toBe('Bearer eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMDAxIn0.[REDACTED]');
    expect(x.response!.status).toBe(201);
    expect(x.response!.headers['set-cookie']).toBe('_gitlab_session=[REDACTED]; path=/; HttpOnly, known_sign_in=[REDACTED]; path=/');
    expect(JSON.parse(x.response!.body!)).toEqual({
      access_token: 'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMDAxIn0.[REDACTED]',
      expires_in: 3600,
    });
    const recorded = JSON.stringify(sink);
    for (const secret of ['U0lHTkFUVVJFLVNFQ1JFVA', PAT, 's3ss10n', 'duo-demo-password']) expect(recorded).not.toContain(secret);
  });

  it('returns redirects instead of following them, without the OAuth code in the record', async () => {
    const res = await client().request({ method: 'GET', path: '/redirect' });
    expect(res.status).toBe(302);
    expect(res.headers.location).toContain('code=the-auth-code');
    expect(seen).toHaveLength(1);
    expect(sink[0]!.response!.headers.location).not.toContain('the-auth-code');
  });

  it('sends forms, accepts absolute URLs and leaves non-JSON bodies unparsed', async () => {
    const res = await client().request({ method: 'POST', path: `${server.url}/plain`, form: { grant_type: 'refresh_token', refresh_token: 'r3fr3sh' } });
    expect(seen[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(seen[0]!.body).toBe('grant_type=refresh_token&refresh_token=r3fr3sh');
    expect(res.text).toBe('plain');
    expect(res.json).toBeUndefined();
    expect(sink[0]!.request.body).toBe('grant_type=refresh_token&refresh_token=%5BREDACTED%5D');
  });

  it('truncates large bodies in the record only', async () => {
    const res = await client().request({ method: 'GET', path: '/big' });
    expect(res.text).toHaveLength(40_000);
    expect(sink[0]!.response!.body!.length).toBeLessThan(17_000);
    expect(sink[0]!.response!.body).toContain('truncated: 40000 bytes');
  });

  it('throws TransportError after recording the exchange with its error when the timeout passes', async () => {
    const err = await client(100)
      .request({ method: 'GET', path: '/slow' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).message).toBe(`no response from gitlab-saas (GET ${server.url}/slow): timed out after 100 ms`);
    expect(sink[0]!.error).toBe('timed out after 100 ms');
    expect((err as TransportError).exchangeId).toBe(sink[0]!.id);
  });

  it('records the exchanges of the check that made them', async () => {
    const frame = { checkId: 'c', exchangeIds: [] as string[] };
    await recorder.runInCheck(frame, async () => {
      await client().request({ method: 'GET', path: '/a' });
      await client().request({ method: 'GET', path: '/b' });
    });
    await client().request({ method: 'GET', path: '/outside' });
    expect(frame.exchangeIds).toEqual([sink[0]!.id, sink[1]!.id]);
    expect(sink).toHaveLength(3);
  });

  describe('control client', () => {
    const control = () => new RecordingControlClient({ recorder, role: 'gitlab-saas', baseUrl: server.url, token: CONTROL, timeoutMs: 2000 });

    it('authenticates with X-Harness-Control-Token, records kind control and never the token', async () => {
      const answer = await control().call<{ ok: boolean; got: unknown }>('PUT', '/-/harness/flags/y', { enabled: false });
      expect(answer).toEqual({ ok: true, got: { enabled: false } });
      expect(seen[0]!.headers['x-harness-control-token']).toBe(CONTROL);
      expect(sink[0]).toMatchObject({ kind: 'control', from: 'harness', to: 'gitlab-saas' });
      expect(sink[0]!.request.headers['x-harness-control-token']).toBe('[REDACTED]');
      expect(JSON.stringify(sink)).not.toContain(CONTROL);
    });

    it('throws an Error naming role, route, status and body on a non-2xx answer', async () => {
      await expect(control().call('PUT', '/-/harness/flags/x', { enabled: true })).rejects.toThrow(
        'control API of gitlab-saas: PUT /-/harness/flags/x answered 422: {"message":"unknown flag x"}',
      );
    });

    it('throws TransportError when the role does not answer', async () => {
      const dead = new RecordingControlClient({ recorder, role: 'ai-gateway', baseUrl: 'http://127.0.0.1:1', token: CONTROL, timeoutMs: 2000 });
      const onError = jest.fn();
      await dead.call('GET', '/-/harness/requests').catch(onError);
      expect(onError).toHaveBeenCalledWith(expect.any(TransportError));
      expect(String((onError.mock.calls[0]![0] as Error).message)).toContain('no response from ai-gateway control API (GET http://127.0.0.1:1/-/harness/requests)');
    });
  });
});
