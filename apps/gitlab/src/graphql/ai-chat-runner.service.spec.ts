import type { Logger } from '#common';
import type { GitlabUser } from '../identity/identity.service.js';
import { type AiChat, type AiChatRequest } from './ai-chat.port.js';
import { AiChatRunner, CHAT_UNAVAILABLE } from './ai-chat-runner.service.js';
import { AiCompletionPubSub } from './ai-completion.pubsub.js';
import type { AiMessageObject } from './types/ai.types.js';

const user: GitlabUser = { id: 1001, username: 'saas-developer', name: 'SaaS Developer', admin: false, groups: [], globalId: 'g' };
const logger = { warn: () => undefined } as unknown as Logger;
const clock = { now: () => Date.parse('2026-01-02T03:04:05Z') };

/** A chat path that answers with the given chunks, or fails after them. */
class FakeChat implements AiChat {
  readonly requests: AiChatRequest[] = [];
  constructor(
    private readonly chunks: string[],
    private readonly failure?: string,
  ) {}
  async *stream(request: AiChatRequest): AsyncIterable<string> {
    this.requests.push(request);
    for (const chunk of this.chunks) yield chunk;
    if (this.failure) throw new Error(this.failure);
  }
}

async function take(iterator: AsyncIterableIterator<AiMessageObject>, n: number): Promise<AiMessageObject[]> {
  const out: AiMessageObject[] = [];
  for (let i = 0; i < n; i++) out.push((await iterator.next()).value as AiMessageObject);
  return out;
}

describe('AiChatRunner', () => {
  const userTopic = { userId: 'gid://gitlab/User/1001', aiAction: 'CHAT' };

  it('publishes each chunk to the clientSubscriptionId subscriber, then the full answer to it and to the user topic', async () => {
    const pubsub = new AiCompletionPubSub();
    const chat = new FakeChat(['Hel', 'lo <b>']);
    const runner = new AiChatRunner(pubsub, clock, logger, chat);
    const streamed = pubsub.subscribe({ ...userTopic, clientSubscriptionId: 'c-1' });
    const plain = pubsub.subscribe(userTopic);
    const requestId = runner.start(user, 'Hi', 'c-1');
    const [one, two, final] = await take(streamed, 3);
    expect(chat.requests).toEqual([{ user, content: 'Hi', requestId }]);
    expect([one, two].map((m) => [m!.chunkId, m!.content, m!.requestId])).toEqual([
      [1, 'Hel', requestId],
      [2, 'lo <b>', requestId],
    ]);
    expect(final).toMatchObject({ requestId, chunkId: null, content: 'Hello <b>', contentHtml: '<p>Hello &lt;b&gt;</p>', errors: [], role: 'ASSISTANT', timestamp: '2026-01-02T03:04:05.000Z' });
    expect(await take(plain, 1)).toEqual([final]);
  });

  it("publishes the chat path's user-safe error as the final message", async () => {
    const pubsub = new AiCompletionPubSub();
    const runner = new AiChatRunner(pubsub, clock, logger, new FakeChat(['partial'], 'The AI gateway is not reachable.'));
    const messages = pubsub.subscribe(userTopic);
    runner.start(user, 'Hi', null);
    const [chunk, final] = await take(messages, 2);
    expect(chunk).toMatchObject({ chunkId: 1, content: 'partial' });
    expect(final).toMatchObject({ chunkId: null, content: null, errors: ['The AI gateway is not reachable.'] });
  });

  it('answers with an error when no chat path is wired', async () => {
    const pubsub = new AiCompletionPubSub();
    const messages = pubsub.subscribe(userTopic);
    new AiChatRunner(pubsub, clock, logger).start(user, 'Hi', undefined);
    expect((await take(messages, 1))[0]).toMatchObject({ errors: [CHAT_UNAVAILABLE] });
  });

  it('ends subscriptions when returned, and delivers nothing to other topics', async () => {
    const pubsub = new AiCompletionPubSub();
    const other = pubsub.subscribe({ ...userTopic, clientSubscriptionId: 'other' });
    const mine = pubsub.subscribe(userTopic);
    new AiChatRunner(pubsub, clock, logger, new FakeChat(['x'])).start(user, 'Hi', null);
    await take(mine, 2);
    await other.return!();
    expect(pubsub.subscriberCount({ ...userTopic, clientSubscriptionId: 'other' })).toBe(0);
    expect(await other.next()).toEqual({ value: undefined, done: true });
  });
});
