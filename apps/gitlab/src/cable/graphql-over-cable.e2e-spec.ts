import { GRAPHQL_CHANNEL, PATH } from '#contracts';
import { AiChat, type AiChatRequest } from '../graphql/ai-chat.port.js';
import { userGlobalId } from '../graphql/types/scalars.js';
import { IdentityService } from '../identity/identity.service.js';
import { DEMO } from '../test/helpers.js';
import { AI_COMPLETION_SUBSCRIPTION, completionsOf, railsConsumer, subscribe } from './testing/cable-clients.js';
import { type CableTestApp, startCableTestApp } from './testing/cable-test-app.js';

/** The chat path stands in for GitLab -> AI gateway -> model: the answer in three chunks. */
class ThreeChunkChat extends AiChat {
  readonly asked: string[] = [];
  async *stream(request: AiChatRequest): AsyncIterable<string> {
    this.asked.push(request.content);
    yield* ['Hello', ' from', ' Duo'];
  }
}


/**
 * Seed 004 end to end over the real schema: an IDE (Rails' ActionCable client, headers as
 * GitLab's language server sends them) subscribes aiCompletionResponse on GraphqlChannel with an
 * `ai_features` token, starts a chat with aiAction over POST /api/graphql, and receives the
 * streamed answer of the requestId its mutation returned; a `read_user` token is refused at
 * subscribe time.
 */
describe('aiCompletionResponse over /-/cable (seed 004)', () => {
  const chat = new ThreeChunkChat();
  let gl: CableTestApp;
  let userId: string;
  beforeAll(async () => {
    gl = await startCableTestApp({ overrides: [{ provide: AiChat, useValue: chat }] });
    userId = userGlobalId(gl.app.get(IdentityService).findUserByUsername(DEMO.developer)!.id);
  });
  afterAll(() => gl.close());

  const ide = (token: string) => ({ Authorization: `Bearer ${token}`, Origin: gl.url });

  it('streams the chat answer for the requestId of the ai_features token\'s aiAction', async () => {
    const consumer = railsConsumer(gl.cableUrl, ide(DEMO.pat.aiFeatures));
    try {
      const clientSubscriptionId = `ide-${Date.now()}`;
      const sub = subscribe(consumer, {
        channel: GRAPHQL_CHANNEL,
        query: AI_COMPLETION_SUBSCRIPTION,
        variables: { userId, clientSubscriptionId, aiAction: 'CHAT' },
        operationName: 'aiCompletionResponse',
        nonce: clientSubscriptionId,
      });
      await sub.until((e) => e.some((x) => x.kind === 'connected' || x.kind === 'rejected'));
      expect(sub.events).toEqual([{ kind: 'received', data: { result: { data: {} }, more: true } }, { kind: 'connected' }]);

      const res = await fetch(`${gl.url}${PATH.GITLAB_GRAPHQL}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'private-token': DEMO.pat.aiFeatures },
        body: JSON.stringify({
          query: `mutation { aiAction(input: {chat: {content: "Hello"}, clientSubscriptionId: "${clientSubscriptionId}"}) { requestId errors } }`,
        }),
      });
      const started = (await res.json()) as { data: { aiAction: { requestId: string; errors: string[] } } };
      expect(started.data.aiAction.errors).toEqual([]);
      const { requestId } = started.data.aiAction;

      const completions = () => completionsOf(sub);
      await sub.until(() => completions().some((c) => c.chunkId === null));
      expect(completions()).toEqual([
        { requestId, content: 'Hello', chunkId: 1, role: 'ASSISTANT', errors: [] },
        { requestId, content: ' from', chunkId: 2, role: 'ASSISTANT', errors: [] },
        { requestId, content: ' Duo', chunkId: 3, role: 'ASSISTANT', errors: [] },
        { requestId, content: 'Hello from Duo', chunkId: null, role: 'ASSISTANT', errors: [] },
      ]);
      expect(sub.events.filter((x) => x.kind === 'received').every((x) => (x.data as { more: boolean }).more)).toBe(true);
      expect(chat.asked).toContain('Hello');
    } finally {
      consumer.disconnect();
    }
  });

  it('refuses the subscription of a read_user token', async () => {
    const consumer = railsConsumer(gl.cableUrl, ide(DEMO.pat.readUser));
    try {
      const sub = subscribe(consumer, { channel: GRAPHQL_CHANNEL, query: AI_COMPLETION_SUBSCRIPTION, variables: { userId, aiAction: 'CHAT' }, nonce: 'read-user' });
      await sub.until((e) => e.length > 0);
      expect(sub.events).toEqual([{ kind: 'rejected' }]);
    } finally {
      consumer.disconnect();
    }
  });

  it('sends another user\'s subscription its GraphQL error, with more: false', async () => {
    const consumer = railsConsumer(gl.cableUrl, ide(DEMO.pat.api));
    try {
      const other = userGlobalId(gl.app.get(IdentityService).findUserByUsername(DEMO.noDuo)!.id);
      const sub = subscribe(consumer, { channel: GRAPHQL_CHANNEL, query: AI_COMPLETION_SUBSCRIPTION, variables: { userId: other }, nonce: 'other-user' });
      await sub.until((e) => e.some((x) => x.kind === 'connected'));
      const [first] = sub.events;
      expect(first).toMatchObject({ kind: 'received', data: { more: false, result: { errors: [{ message: expect.stringContaining('permission') }] } } });
    } finally {
      consumer.disconnect();
    }
  });
});
