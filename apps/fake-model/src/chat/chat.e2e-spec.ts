import { CHAT_STREAM_MEDIA_TYPE, compileValidator, HEADER, PATH, SCHEMA, type FakeModelChatEvent } from '#contracts';
import { startTestApp, TEST_CONTROL_TOKEN, type TestApp } from '#common/testing/app';
import { fakeModel } from '../app.js';
import type { FakeModelConfig } from '../config.js';
import { generateChatAnswer } from './chat-generator.js';

const validEvent = compileValidator(SCHEMA.FAKE_MODEL_CHAT_EVENT);
const MESSAGES = [{ role: 'user', content: 'How do I squash commits?' }] as const;

function chat(url: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(`${url}${PATH.MODEL_CHAT_COMPLETIONS}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    ...init,
  });
}

function faults(url: string, patch: unknown): Promise<Response> {
  return fetch(`${url}${PATH.HARNESS_CONTROL_PREFIX}/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', [HEADER.HARNESS_CONTROL]: TEST_CONTROL_TOKEN },
    body: JSON.stringify(patch),
  });
}

/** The stream's events, each line parsed. */
async function events(res: Response): Promise<FakeModelChatEvent[]> {
  const text = await res.text();
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as FakeModelChatEvent);
}

describe('fake-model chat (HTTP)', () => {
  let app: TestApp<FakeModelConfig>;

  beforeAll(async () => {
    app = await startTestApp(fakeModel);
  });
  afterAll(async () => {
    await app.close();
  });
  afterEach(async () => {
    await faults(app.url, { latencyMs: 0, failNext: 0, hangNext: 0, failStatus: 500 });
  });

  it('streams the deterministic answer as NDJSON deltas, then done', async () => {
    const res = await chat(app.url, { messages: MESSAGES });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(`${CHAT_STREAM_MEDIA_TYPE.MODEL}; charset=utf-8`);
    const all = await events(res);
    for (const event of all) expect(validEvent(event)).toEqual({ valid: true });
    const expected = generateChatAnswer({ messages: MESSAGES });
    expect(all).toEqual([
      ...expected.chunks.map((text) => ({ type: 'final_answer_delta', data: { text } })),
      { type: 'done', data: { model: 'fake-chat-model', finish_reason: 'stop' } },
    ]);
    expect(expected.chunks.join('')).toContain('You asked: "How do I squash commits?"');
  });

  it('answers the same chat with the same chunks, another chat with others', async () => {
    const a = await events(await chat(app.url, { messages: MESSAGES }));
    const b = await events(await chat(app.url, { messages: MESSAGES }));
    const c = await events(await chat(app.url, { messages: [{ role: 'user', content: 'Something else' }] }));
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('cuts the answer at max_tokens with finish_reason length', async () => {
    const all = await events(await chat(app.url, { messages: MESSAGES, max_tokens: 2 }));
    expect(all).toEqual([
      { type: 'final_answer_delta', data: { text: 'Fake model' } },
      { type: 'done', data: { model: 'fake-chat-model', finish_reason: 'length' } },
    ]);
  });

  it.each([
    [{}, "required property 'messages'"],
    [{ messages: [] }, '/messages must NOT have fewer than 1 items'],
    [{ messages: [{ role: 'robot', content: 'x' }] }, '/messages/0/role must be equal to one of the allowed values'],
    [{ messages: [{ role: 'user', content: 'x'.repeat(400_001) }] }, '/messages/0/content must NOT have more than 400000 characters'],
    [{ messages: MESSAGES, stream: true }, 'must NOT have additional properties'],
  ])('rejects %#: 400 naming the field', async (body, fragment) => {
    const res = await chat(app.url, body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toContain(fragment);
  });

  it('answers the injected status instead of the stream, then recovers', async () => {
    await faults(app.url, { failNext: 1, failStatus: 503 });
    const failed = await chat(app.url, { messages: MESSAGES });
    expect(failed.status).toBe(503);
    expect(await failed.json()).toEqual({ error: 'injected fault' });
    expect((await chat(app.url, { messages: MESSAGES })).status).toBe(200);
  });

  it('hangs the next chat until the client gives up', async () => {
    await faults(app.url, { hangNext: 1 });
    await expect(chat(app.url, { messages: MESSAGES }, { signal: AbortSignal.timeout(300) })).rejects.toMatchObject({ name: 'TimeoutError' });
    expect((await chat(app.url, { messages: MESSAGES })).status).toBe(200);
  });

  it('adds the configured latency before the stream and still answers in full', async () => {
    await faults(app.url, { latencyMs: 20 });
    const all = await events(await chat(app.url, { messages: MESSAGES }));
    expect(all.at(-1)).toEqual({ type: 'done', data: { model: 'fake-chat-model', finish_reason: 'stop' } });
  });
});
