import { CHAT_PROMPT_COMPONENT, compileValidator, DUO_CHAT_TOKEN_SCOPES, GATEWAY_AUTH_ERROR, GATEWAY_CHAT_FORBIDDEN, PATH, SCHEMA, USER_AGENT } from '#contracts';
import { startTestApp, type TestApp } from '#common/testing/app';
import { aiTokenClaims, makeRsaKey, signToken, type TestKey } from '#common/testing/jwt';
import { request } from 'node:http';
import { aiGateway } from '../src/app.js';
import type { AiGatewayConfig } from '../src/config.js';
import { ChatModelStub, STUB_CHAT_MODEL, stubChatChunks } from './support/chat-model-stub.js';
import { keystrokeHeaders as headersFor } from './support/keystroke.js';
import { TestIssuer } from './support/test-issuer.js';

/**
 * Duo Chat at the gateway (POST /v1/chat/agent) with an issuer and a chat model of the test's
 * own: the same authentication as completions, the duo_chat unit primitive, the model's chunks
 * relayed as they come, and the model's failures in the contract's shapes.
 */
const validChatResponse = compileValidator(SCHEMA.CHAT_RESPONSE);
const validDetailError = compileValidator(SCHEMA.GATEWAY_DETAIL_ERROR);
const MODEL_TIMEOUT_MS = 800;

/** The body GitLab posts (Gitlab::Llm::AiGateway::Client#request_body). */
const chatBody = (content: unknown = 'How do I squash commits?', stream = true) => ({
  prompt_components: [
    {
      type: CHAT_PROMPT_COMPONENT.TYPE,
      metadata: { source: CHAT_PROMPT_COMPONENT.SOURCE, version: '17.5.0' },
      payload: { content, provider: 'anthropic', model: 'claude-3-5-sonnet-20240620', params: { max_tokens_to_sample: 2048 } },
    },
  ],
  stream,
});

let key: TestKey;
let issuer: TestIssuer;
let model: ChatModelStub;
let gateway: TestApp<AiGatewayConfig>;

beforeAll(async () => {
  key = await makeRsaKey('k1');
  issuer = await TestIssuer.start([key]);
  model = await ChatModelStub.start();
  gateway = await startTestApp(aiGateway, {
    AIGW_TRUSTED_ISSUERS: issuer.url,
    AIGW_MODEL_URL: model.url,
    AIGW_MODEL_TIMEOUT_MS: String(MODEL_TIMEOUT_MS),
  });
});

afterAll(async () => {
  await gateway?.close();
  await model?.close();
  await issuer?.stop();
});

afterEach(() => {
  model.faults.splice(0);
  model.release();
});

/** GitLab's instance token for chat: the duo_chat bundle's scopes. */
const chatToken = (overrides: Record<string, unknown> = {}) => signToken(key, aiTokenClaims(issuer.url, { scopes: [...DUO_CHAT_TOKEN_SCOPES], ...overrides }));

function post(headers: Record<string, string>, body: unknown, signal: AbortSignal = AbortSignal.timeout(MODEL_TIMEOUT_MS * 5)): Promise<Response> {
  return fetch(`${gateway.url}${PATH.GATEWAY_CHAT_AGENT}`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body), signal });
}

describe('ai-gateway Duo Chat (HTTP, in-test issuer and chat model)', () => {
  it("streams the model's chunks as text/event-stream to a token with duo_chat", async () => {
    const res = await post(headersFor(await chatToken()), chatBody());
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const request = model.requests.at(-1)!;
    expect(request.body).toEqual({ messages: [{ role: 'user', content: 'How do I squash commits?' }], max_tokens: 2048 });
    expect(request.userAgent).toBe(USER_AGENT.GATEWAY);
    expect(await res.text()).toBe(stubChatChunks(request.body).join(''));
  });

  it('passes each chunk on as it comes, before the model has finished', async () => {
    model.faults.push({ kind: 'gate' });
    const res = await post(headersFor(await chatToken()), chatBody());
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const first = await reader.read();
    // The model holds the rest back until released: the first chunk arrived on its own.
    expect(new TextDecoder().decode(first.value)).toBe('Stub answer');
    model.release();
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
    expect(rest).toBe(stubChatChunks(model.requests.at(-1)!.body).slice(1).join(''));
  });

  it('passes a list of messages on as the chat', async () => {
    const messages = [
      { role: 'system', content: 'You are GitLab Duo' },
      { role: 'user', content: 'Hi' },
    ];
    const res = await post(headersFor(await chatToken()), chatBody(messages));
    expect(res.status).toBe(200);
    await res.text();
    expect(model.requests.at(-1)!.body.messages).toEqual(messages);
  });

  it('answers {response, metadata} when stream is false', async () => {
    const res = await post(headersFor(await chatToken()), chatBody('Hello', false));
    expect(res.status).toBe(200);
    const json = (await res.json()) as { response: string; metadata: { provider: string; model: string } };
    expect(validChatResponse(json)).toEqual({ valid: true });
    expect(json.response).toBe(stubChatChunks(model.requests.at(-1)!.body).join(''));
    expect(json.metadata).toMatchObject({ provider: 'fake', model: STUB_CHAT_MODEL });
  });

  it('refuses a token without duo_chat with 403 {"detail":"Unauthorized to access duo_chat"}, without calling the model', async () => {
    const before = model.requests.length;
    const res = await post(headersFor(await chatToken({ scopes: ['code_suggestions'] })), chatBody());
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ detail: GATEWAY_CHAT_FORBIDDEN });
    expect(model.requests.length).toBe(before);
  });

  it('authenticates as completions do: no header, wrong type, a bound header that does not match -> 401', async () => {
    const token = await chatToken();
    expect(await (await post(headersFor(undefined), chatBody())).json()).toEqual({ error: GATEWAY_AUTH_ERROR.NO_HEADER });
    expect(await (await post(headersFor(token, { 'X-Gitlab-Authentication-Type': 'oauth' }), chatBody())).json()).toEqual({ error: GATEWAY_AUTH_ERROR.INVALID_TYPE });
    const mismatch = await post(headersFor(token, { 'X-Gitlab-Realm': 'self-managed' }), chatBody());
    expect(mismatch.status).toBe(401);
    expect(await mismatch.json()).toEqual({ error: "Header mismatch 'X-Gitlab-Realm'" });
  });

  it('answers an invalid body with FastAPI 422 detail', async () => {
    const res = await post(headersFor(await chatToken()), { prompt_components: [], stream: 'yes' });
    expect(res.status).toBe(422);
    const json = (await res.json()) as { detail: unknown[] };
    expect(validDetailError(json)).toEqual({ valid: true });
    expect(json.detail).toEqual(
      expect.arrayContaining([
        { loc: ['body', 'prompt_components'], msg: 'List should have at least 1 items', type: 'too_short' },
        { loc: ['body', 'stream'], msg: 'Input should be a valid boolean', type: 'bool_type' },
      ]),
    );
    const malformed = await post(headersFor(await chatToken()), '{"prompt_components":');
    expect(malformed.status).toBe(422);
    expect(await malformed.json()).toEqual({ detail: [{ loc: ['body', 0], msg: 'JSON decode error', type: 'json_invalid' }] });
  });

  it.each([
    [{ kind: 'fail', status: 500 } as const, 502, 'Model answered HTTP 500'],
    [{ kind: 'fail', status: 429 } as const, 502, 'Model answered HTTP 429'],
    [{ kind: 'hang' } as const, 504, `Model did not answer within ${MODEL_TIMEOUT_MS} ms`],
  ])('answers a model failure (%j) before the stream with %i {"detail"}', async (fault, status, detail) => {
    model.faults.push(fault);
    const res = await post(headersFor(await chatToken()), chatBody());
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual({ detail });
  });

  it('answers a model stream that breaks its contract with 502 when not streaming', async () => {
    model.faults.push({ kind: 'garbage' });
    const res = await post(headersFor(await chatToken()), chatBody('Hello', false));
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual({ detail: 'Model streamed an event off its contract' });
  });

  it('cuts the connection when the model stream breaks after the 200, never ending the body as if whole', async () => {
    model.faults.push({ kind: 'cut' });
    const res = await post(headersFor(await chatToken()), chatBody());
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('Stub answer');
    model.release();
    await expect(reader.read()).rejects.toThrow();
  });

  it('aborts the model call when the caller goes away mid-answer', async () => {
    const before = model.aborted;
    model.faults.push({ kind: 'gate' });
    // The caller hangs up after the first chunk, as a closed IDE does.
    expect(await hangUp(await chatToken(), 'after-first-chunk')).toBe('Stub answer');
    await model.abortedReaches(before + 1);
    expect(model.aborted).toBe(before + 1);
  });

  it('aborts the model call when the caller goes away before the model answered', async () => {
    const before = model.aborted;
    model.faults.push({ kind: 'hang' });
    expect(await hangUp(await chatToken(), 'once-the-model-has-the-call')).toBe('hung up');
    await model.abortedReaches(before + 1);
    expect(model.aborted).toBe(before + 1);
  });
});

/**
 * A chat call on its own connection (node:http, no keep-alive pool) that the caller ends by
 * destroying it: after the first chunk (resolves with it), or once the model stub took the call
 * (its queued fault consumed) while the gateway waits for the model (resolves 'hung up').
 */
function hangUp(token: string, when: 'after-first-chunk' | 'once-the-model-has-the-call'): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const req = request(`${gateway.url}${PATH.GATEWAY_CHAT_AGENT}`, { method: 'POST', headers: headersFor(token), agent: false }, (res) => {
      if (when !== 'after-first-chunk') return reject(new Error(`answered ${res.statusCode} before the caller hung up`));
      res.once('data', (chunk: Buffer) => {
        req.destroy();
        resolve(chunk.toString('utf8'));
      });
    });
    req.once('error', (e) => (e.message === 'socket hang up' ? resolve('hung up') : reject(e)));
    req.end(JSON.stringify(chatBody()));
    if (when === 'once-the-model-has-the-call') {
      void (async () => {
        for (let i = 0; i < 500 && model.faults.length > 0; i++) await new Promise((r) => setTimeout(r, 5));
        req.destroy();
      })();
    }
  });
}
