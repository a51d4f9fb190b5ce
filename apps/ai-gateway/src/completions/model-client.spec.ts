import { EventEmitter } from 'node:events';
import { PATH } from '#contracts';
import type { FetchFn } from '../di.js';
import { ideLeaving, ModelClient, ModelError, modelPostOverFetch } from './model-client.js';

const ANSWER = { id: 'cmpl-1', model: 'fake-code-model', created: 1, choices: [{ text: 'x', index: 0, finish_reason: 'stop' }] };
const REQUEST = { prompt: 'def f(', suffix: '' };
const MAX = 1024;

function client(respond: () => Response | Promise<Response>) {
  const calls: string[] = [];
  const fetch: FetchFn = async (url) => {
    calls.push(url);
    return respond();
  };
  return { model: new ModelClient({ baseUrl: 'http://model.example/', timeoutMs: 1000, maxResponseBytes: MAX, post: modelPostOverFetch(fetch) }), calls };
}

/** A streamed body without Content-Length, `size` bytes of JSON-ish text. */
function streamed(size: number): Response {
  const chunk = new TextEncoder().encode('x'.repeat(256));
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= size) return controller.close();
      controller.enqueue(chunk);
      sent += chunk.byteLength;
    },
  });
  return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
}

async function failure(model: ModelClient): Promise<ModelError> {
  try {
    await model.complete(REQUEST);
  } catch (e) {
    if (e instanceof ModelError) return e;
    throw e;
  }
  throw new Error('expected a ModelError');
}

describe('ModelClient', () => {
  it('posts to <base>/v1/completions and returns a contract-valid answer', async () => {
    const { model, calls } = client(() => Response.json(ANSWER));
    expect(await model.complete(REQUEST)).toEqual(ANSWER);
    expect(calls).toEqual([`http://model.example${PATH.MODEL_COMPLETIONS}`]);
  });

  it('refuses an answer over the byte cap without reading it all, as a bad response', async () => {
    const { model } = client(() => streamed(MAX * 64));
    const error = await failure(model);
    expect([error.failure, error.message]).toEqual(['bad-response', `Model answer exceeds ${MAX} bytes`]);
  });

  it('refuses an announced Content-Length over the cap before reading', async () => {
    const { model } = client(() => new Response('{}', { status: 200, headers: { 'content-length': String(MAX + 1) } }));
    expect((await failure(model)).message).toBe(`Model answer exceeds ${MAX} bytes`);
  });

  it.each([
    ['invalid JSON', () => new Response('{"id":', { status: 200 }), 'Model answered with invalid JSON'],
    ['JSON off its contract', () => Response.json({ id: 1 }), 'Model answer does not match its contract'],
    ['an HTTP error', () => new Response('boom', { status: 503 }), 'Model answered HTTP 503'],
  ])('names %s in its error', async (_name, respond, message) => {
    const { model } = client(respond);
    expect((await failure(model)).message).toBe(message);
  });
});

describe('ModelClient timeouts and cancellation', () => {
  /** A model that answers only when the call is aborted (with the abort), recording the signal it got. */
  function hanging(timeoutMs: number) {
    const seen: AbortSignal[] = [];
    const fetch: FetchFn = (_url, init) =>
      new Promise((_resolve, reject) => {
        const signal = init.signal!;
        seen.push(signal);
        signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')), { once: true });
      });
    return { model: new ModelClient({ baseUrl: 'http://model.example', timeoutMs, maxResponseBytes: MAX, post: modelPostOverFetch(fetch) }), seen };
  }

  it('gives up after timeoutMs as a timeout, aborting the call', async () => {
    const { model, seen } = hanging(20);
    const error = await failure(model);
    expect([error.failure, error.message]).toEqual(['timeout', 'Model did not answer within 20 ms']);
    expect(seen[0]!.aborted).toBe(true);
  });

  it('stops the call when the IDE leaves, as cancelled', async () => {
    const { model, seen } = hanging(10_000);
    const ide = new AbortController();
    const pending = model.complete(REQUEST, ide.signal).catch((e: unknown) => e);
    await new Promise((resolve) => setImmediate(resolve));
    ide.abort();
    const error = (await pending) as ModelError;
    expect([error.failure, seen[0]!.aborted]).toEqual(['cancelled', true]);
  });

  it('never calls the model for an IDE that has already left', async () => {
    const { model, seen } = hanging(10_000);
    const ide = new AbortController();
    ide.abort();
    const error = (await model.complete(REQUEST, ide.signal).catch((e: unknown) => e)) as ModelError;
    expect([error.failure, seen.length]).toEqual(['cancelled', 0]);
  });

  /** An IDE's response as the controller sees it: 'close' when the socket goes, writableFinished once answered. */
  const ideResponse = () => Object.assign(new EventEmitter(), { writableFinished: false });

  it('stops the call when the IDE response closes unfinished (ideLeaving), and not when it closes after the answer', async () => {
    const { model, seen } = hanging(10_000);
    const response = ideResponse();
    const pending = model.complete(REQUEST, ideLeaving(response)).catch((e: unknown) => e);
    await new Promise((resolve) => setImmediate(resolve));
    response.emit('close');
    const error = (await pending) as ModelError;
    expect([error.failure, seen[0]!.aborted]).toEqual(['cancelled', true]);

    const answered = ideResponse();
    const leaving = ideLeaving(answered);
    let told = 0;
    leaving.addEventListener('abort', () => told++);
    answered.writableFinished = true;
    answered.emit('close');
    expect([leaving.aborted, told]).toEqual([false, 0]);
  });

  it('never calls the model once the IDE response has closed unfinished', async () => {
    const { model, seen } = hanging(10_000);
    const response = ideResponse();
    const leaving = ideLeaving(response);
    response.emit('close');
    const error = (await model.complete(REQUEST, leaving).catch((e: unknown) => e)) as ModelError;
    expect([error.failure, seen.length]).toEqual(['cancelled', 0]);
  });
});
