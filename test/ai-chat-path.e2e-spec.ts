import { PATH } from '#contracts';
import { startTestApp, type TestApp } from '#common/testing/app';
import { closedPort } from '#common/testing/loopback';
import { aiGateway } from '../apps/ai-gateway/src/app.js';
import type { AiGatewayConfig } from '../apps/ai-gateway/src/config.js';
import { fakeModel } from '../apps/fake-model/src/app.js';
import type { FakeModelConfig } from '../apps/fake-model/src/config.js';
import { AiChatClient, AiChatError } from '../apps/gitlab/src/ai-chat/ai-chat.client.js';
import { gitlab } from '../apps/gitlab/src/app.js';
import type { GitlabConfig } from '../apps/gitlab/src/config.js';
import { AiChat } from '../apps/gitlab/src/graphql/ai-chat.port.js';
import { IdentityService, type GitlabUser } from '../apps/gitlab/src/identity/identity.service.js';

/**
 * The chat path end to end in one process: this GitLab's AiChatClient -> the AI gateway (which
 * trusts this GitLab as an issuer) -> the fake model, each a real app on loopback. The test
 * drives the gitlab app's client as the GraphQL aiAction resolver does.
 */
let model: TestApp<FakeModelConfig>;
let gateway: TestApp<AiGatewayConfig>;
let gl: TestApp<GitlabConfig>;
let sm: TestApp<GitlabConfig>;
let client: AiChatClient;
let user: GitlabUser;

beforeAll(async () => {
  model = await startTestApp(fakeModel);
  // GitLab needs the gateway's URL and the gateway GitLab's (its issuer): the gateway's port is taken first.
  const gatewayPort = await closedPort();
  gl = await startTestApp(gitlab, { AI_GATEWAY_URL: `http://127.0.0.1:${gatewayPort}` });
  sm = await startTestApp(gitlab, { GITLAB_MODE: 'self-managed', SAAS_URL: gl.url, AI_GATEWAY_URL: `http://127.0.0.1:${gatewayPort}` });
  gateway = await startTestApp(aiGateway, {
    PORT: String(gatewayPort),
    AIGW_TRUSTED_ISSUERS: `${gl.url},${sm.url}`,
    AIGW_MODEL_URL: model.url,
    AIGW_MODEL_TIMEOUT_MS: '2000',
  });
  client = gl.app.get(AiChatClient);
  user = gl.app.get(IdentityService).findUserByUsername('saas-developer')!;
});

afterAll(async () => {
  // The aborted call below leaves a socket the fake model holds open until its keep-alive
  // timeout (about a minute; reported to be looked into): connections are cut before closing.
  for (const app of [gl, sm, gateway, model]) app?.app.getHttpServer().closeAllConnections();
  await sm?.close();
  await gl?.close();
  await gateway?.close();
  await model?.close();
});

afterEach(async () => {
  await model.control('PUT', `${PATH.HARNESS_CONTROL_PREFIX}/faults`, { latencyMs: 0, failNext: 0, hangNext: 0, failStatus: 500 });
});

async function collect(chunks: AsyncIterable<string>): Promise<string[]> {
  const all: string[] = [];
  for await (const chunk of chunks) all.push(chunk);
  return all;
}

async function failure(chunks: AsyncIterable<string>): Promise<AiChatError> {
  try {
    await collect(chunks);
  } catch (e) {
    if (e instanceof AiChatError) return e;
    throw e;
  }
  throw new Error('expected an AiChatError');
}

describe('AiChatClient (GitLab -> AI gateway -> fake model, in-process apps)', () => {
  it("streams the fake model's answer through the gateway, in chunks", async () => {
    const chunks = await collect(client.stream({ user, content: 'How do I squash commits?', requestId: 'req-1' }));
    expect(chunks.length).toBeGreaterThan(1);
    const answer = chunks.join('');
    expect(answer).toMatch(/^Fake model answer [0-9a-f]{8}\. You asked: "How do I squash commits\?"\. /);
    // Deterministic: the same question, the same answer.
    expect((await collect(client.stream({ user, content: 'How do I squash commits?', requestId: 'req-2' }))).join('')).toBe(answer);
  });

  it('answers a self-managed instance too: its own instance token, realm self-managed, bound headers accepted', async () => {
    const smUser = sm.app.get(IdentityService).listUsers()[0]!;
    const answer = (await collect(sm.app.get(AiChatClient).stream({ user: smUser, content: 'Hi from SM', requestId: 'req-sm' }))).join('');
    expect(answer).toContain('You asked: "Hi from SM"');
  });

  it('is the GraphQL module’s AiChat', () => {
    expect(gl.app.get(AiChat)).toBe(client);
  });

  it("is accepted by the gateway: its request log shows the call to /v1/chat/agent answered 200", async () => {
    const since = new Date().toISOString();
    await collect(client.stream({ user, content: 'Hi', requestId: 'req-headers' }));
    const res = await gateway.control('GET', `${PATH.HARNESS_CONTROL_PREFIX}/requests?since=${encodeURIComponent(since)}&path=${encodeURIComponent(PATH.GATEWAY_CHAT_AGENT)}`);
    const { requests } = (await res.json()) as { requests: Array<{ method: string; status: number }> };
    expect(requests).toEqual([expect.objectContaining({ method: 'POST', status: 200 })]);
  });

  it('throws a user-safe error, never the token, when the gateway refuses (401 from a gateway that does not trust this GitLab)', async () => {
    const other = await startTestApp(aiGateway, { AIGW_TRUSTED_ISSUERS: model.url, AIGW_MODEL_URL: model.url });
    const elsewhere = await startTestApp(gitlab, { AI_GATEWAY_URL: other.url });
    try {
      const error = await failure(elsewhere.app.get(AiChatClient).stream({ user, content: 'Hi', requestId: 'req-401' }));
      expect(error.message).toBe('The AI gateway refused the chat request (HTTP 401)');
      expect(error.status).toBe(401);
      expect(error.message).not.toMatch(/eyJ/);
    } finally {
      await elsewhere.close();
      await other.close();
    }
  });

  it('throws when the model fails: the gateway answers 502', async () => {
    await model.control('PUT', `${PATH.HARNESS_CONTROL_PREFIX}/faults`, { failNext: 1, failStatus: 500 });
    const error = await failure(client.stream({ user, content: 'Hi', requestId: 'req-502' }));
    expect([error.status, error.message]).toEqual([502, 'The AI gateway refused the chat request (HTTP 502)']);
  });

  it('throws when no gateway is configured', async () => {
    const alone = await startTestApp(gitlab);
    try {
      const error = await failure(alone.app.get(AiChatClient).stream({ user, content: 'Hi', requestId: 'req-none' }));
      expect(error.message).toBe('Duo Chat is not available: no AI gateway is configured (AI_GATEWAY_URL)');
    } finally {
      await alone.close();
    }
  });

  it('throws when the gateway is unreachable', async () => {
    const down = await startTestApp(gitlab, { AI_GATEWAY_URL: `http://127.0.0.1:${await closedPort()}` });
    try {
      const error = await failure(down.app.get(AiChatClient).stream({ user, content: 'Hi', requestId: 'req-down' }));
      expect(error.message).toBe('The AI gateway could not be reached');
    } finally {
      await down.close();
    }
  });

  it('stops quietly when the caller aborts, and the gateway call is aborted', async () => {
    await model.control('PUT', `${PATH.HARNESS_CONTROL_PREFIX}/faults`, { hangNext: 1 });
    const caller = new AbortController();
    const pending = collect(client.stream({ user, content: 'Hi', requestId: 'req-abort' }, caller.signal));
    // The model has the call once its hang was consumed.
    for (let i = 0; i < 500; i++) {
      const faults = (await (await model.control('GET', `${PATH.HARNESS_CONTROL_PREFIX}/faults`)).json()) as { hangNext: number };
      if (faults.hangNext === 0) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    caller.abort();
    expect(await pending).toEqual([]);
  });
});

