import { compileValidator, HEADER, PATH, SCHEMA } from '#contracts';
import { startTestApp, TEST_CONTROL_TOKEN, type TestApp } from '#common/testing/app';
import { fakeModel } from './app.js';
import type { FakeModelConfig } from './config.js';

const validResponse = compileValidator(SCHEMA.FAKE_MODEL_RESPONSE);

function complete(url: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(`${url}${PATH.MODEL_COMPLETIONS}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    ...init,
  });
}

function control(url: string, method: string, path: string, body?: unknown, token: string | null = TEST_CONTROL_TOKEN): Promise<Response> {
  const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
  if (token) headers[HEADER.HARNESS_CONTROL] = token;
  return fetch(`${url}${PATH.HARNESS_CONTROL_PREFIX}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

describe('fake-model (HTTP)', () => {
  let app: TestApp<FakeModelConfig>;
  let url: string;

  beforeAll(async () => {
    app = await startTestApp(fakeModel);
    url = app.url;
  });
  afterAll(async () => {
    await app.close();
  });
  afterEach(async () => {
    await control(url, 'PUT', '/faults', { latencyMs: 0, failNext: 0, hangNext: 0, failStatus: 500 });
  });

  it('answers GET /healthz', async () => {
    const res = await fetch(`${url}${PATH.MODEL_HEALTHZ}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('completes deterministically with a schema-valid body', async () => {
    const request = { prompt: 'def fib(', suffix: '\n', language: 'python' };
    const first = await complete(url, request);
    expect(first.status).toBe(200);
    const a = (await first.json()) as { model: string; choices: Array<{ text: string; finish_reason: string; index: number }> };
    expect(validResponse(a)).toEqual({ valid: true });
    expect(a.model).toBe('fake-code-model');
    expect(a.choices[0]).toMatchObject({ index: 0, finish_reason: 'stop' });
    expect(a.choices[0]?.text.startsWith('):\n    # fake-model ')).toBe(true);

    const b = (await (await complete(url, request)).json()) as typeof a;
    expect(b.choices[0]?.text).toBe(a.choices[0]?.text);
    const other = (await (await complete(url, { ...request, prompt: 'def fab(' })).json()) as typeof a;
    expect(other.choices[0]?.text).not.toBe(a.choices[0]?.text);
  });

  it('truncates at max_tokens with finish_reason length', async () => {
    const body = (await (await complete(url, { prompt: 'def f(', language: 'python', max_tokens: 1 })).json()) as {
      choices: Array<{ text: string; finish_reason: string }>;
    };
    expect(body.choices[0]).toEqual({ text: '):', index: 0, finish_reason: 'length' });
  });

  it.each([
    [{ suffix: 'x' }, "required property 'prompt'"],
    [{ prompt: 1 }, '/prompt must be string'],
    [{ prompt: 'x', max_tokens: 0 }, '/max_tokens must be >= 1'],
    [{ prompt: 'x', temperature: 0.2 }, 'temperature'],
  ])('rejects %j with 400 naming the field', async (body, fragment) => {
    const res = await complete(url, body);
    expect(res.status).toBe(400);
    const json = (await res.json()) as { error: string };
    expect(Object.keys(json)).toEqual(['error']);
    expect(json.error).toContain(fragment);
  });

  it('answers malformed JSON and unknown routes in its {"error"} shape', async () => {
    const bad = await fetch(`${url}${PATH.MODEL_COMPLETIONS}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"prompt":' });
    expect(bad.status).toBe(400);
    expect(typeof ((await bad.json()) as { error: unknown }).error).toBe('string');
    const missing = await fetch(`${url}/v1/nothing`);
    expect(missing.status).toBe(404);
    expect(typeof ((await missing.json()) as { error: unknown }).error).toBe('string');
  });

  describe('control API', () => {
    it('needs the control token', async () => {
      expect((await control(url, 'GET', '/faults', undefined, null)).status).toBe(401);
      expect((await control(url, 'GET', '/faults', undefined, 'wrong-token-of-some-length')).status).toBe(401);
    });

    it('fails the next N completions with the injected status, then recovers', async () => {
      const put = await control(url, 'PUT', '/faults', { failNext: 2, failStatus: 503 });
      expect(put.status).toBe(200);
      expect(await put.json()).toEqual({ latencyMs: 0, failNext: 2, failStatus: 503, hangNext: 0 });
      for (let i = 0; i < 2; i++) {
        const res = await complete(url, { prompt: 'x' });
        expect(res.status).toBe(503);
        expect(await res.json()).toEqual({ error: 'injected fault' });
      }
      expect((await complete(url, { prompt: 'x' })).status).toBe(200);
    });

    it('hangs the next completion until the client gives up', async () => {
      await control(url, 'PUT', '/faults', { hangNext: 1 });
      await expect(complete(url, { prompt: 'x' }, { signal: AbortSignal.timeout(300) })).rejects.toMatchObject({ name: 'TimeoutError' });
      expect((await complete(url, { prompt: 'x' })).status).toBe(200);
    });

    it('adds latency and still answers', async () => {
      await control(url, 'PUT', '/faults', { latencyMs: 20 });
      const res = await complete(url, { prompt: 'x' });
      expect(res.status).toBe(200);
      expect(await (await control(url, 'GET', '/faults')).json()).toMatchObject({ latencyMs: 20 });
    });

    it.each([[{ failNext: -1 }], [{ failStatus: 200 }], [{ latencyMs: 'slow' }], [{ explode: 1 }], [[1]]])(
      'rejects the fault patch %j with 400',
      async (body) => {
        const res = await control(url, 'PUT', '/faults', body);
        expect(res.status).toBe(400);
        expect(typeof ((await res.json()) as { error: unknown }).error).toBe('string');
      },
    );

    it('POST /-/harness/reset puts the faults back to start', async () => {
      await control(url, 'PUT', '/faults', { latencyMs: 20, failNext: 3, failStatus: 503, hangNext: 1 });
      expect((await control(url, 'POST', '/reset')).status).toBe(204);
      expect(await (await control(url, 'GET', '/faults')).json()).toEqual({ latencyMs: 0, failNext: 0, failStatus: 500, hangNext: 0 });
      expect((await complete(url, { prompt: 'x' })).status).toBe(200);
    });

    it('lists answered requests, filtered by path prefix', async () => {
      const since = new Date().toISOString();
      await complete(url, { prompt: 'logged' });
      await fetch(`${url}${PATH.MODEL_HEALTHZ}`);
      const res = await control(url, 'GET', `/requests?since=${encodeURIComponent(since)}&path=${encodeURIComponent(PATH.MODEL_COMPLETIONS)}`);
      const { requests } = (await res.json()) as { requests: Array<{ method: string; path: string; status: number }> };
      expect(requests).toEqual([expect.objectContaining({ method: 'POST', path: PATH.MODEL_COMPLETIONS, status: 200 })]);
    });
  });
});

describe('fake-model without HARNESS_CONTROL_TOKEN', () => {
  it('has no control API', async () => {
    const { app, url } = await startTestApp(fakeModel, { HARNESS_CONTROL_TOKEN: undefined });
    try {
      const res = await control(url, 'GET', '/faults');
      expect(res.status).toBe(404);
      expect((await control(url, 'PUT', '/faults', { failNext: 1 })).status).toBe(404);
      expect((await control(url, 'GET', '/requests')).status).toBe(404);
      expect((await control(url, 'POST', '/reset')).status).toBe(404);
      expect((await complete(url, { prompt: 'x' })).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('closes promptly while a completion hangs (no leaked waits)', async () => {
    const { app, url } = await startTestApp(fakeModel);
    await control(url, 'PUT', '/faults', { hangNext: 1 });
    const pending = complete(url, { prompt: 'x' }).then(
      (r) => r.status,
      (e: Error) => e.name,
    );
    // The request is hanging once the fault was consumed.
    await waitFor(async () => ((await (await control(url, 'GET', '/faults')).json()) as { hangNext: number }).hangNext === 0);
    await app.close();
    expect(await pending).toBe('TypeError');
  });
});

async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await condition()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error('condition not reached');
}
