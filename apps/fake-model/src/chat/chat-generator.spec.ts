import { generateChatAnswer, WORDS_PER_CHUNK } from './chat-generator.js';

const chat = (content: string) => ({ messages: [{ role: 'user' as const, content }] });

describe('generateChatAnswer', () => {
  it('is deterministic: the same chat gives the same chunks', () => {
    const a = generateChatAnswer(chat('How do I rebase?'));
    const b = generateChatAnswer(chat('How do I rebase?'));
    expect(b.chunks).toEqual(a.chunks);
    expect(a.finishReason).toBe('stop');
  });

  it('names a digest of the chat and quotes the last user message', () => {
    const a = generateChatAnswer({ messages: [{ role: 'system', content: 'Be brief' }, { role: 'user', content: 'Hello\n  there' }] });
    expect(a.digest).toMatch(/^[0-9a-f]{8}$/);
    expect(a.chunks.join('')).toBe(
      `Fake model answer ${a.digest}. You asked: "Hello there". This answer is deterministic: the same chat gives the same words in the same chunks.`,
    );
    expect(generateChatAnswer(chat('Hello there')).digest).not.toBe(a.digest);
  });

  it(`cuts the answer into chunks of ${WORDS_PER_CHUNK} words`, () => {
    const { chunks } = generateChatAnswer(chat('Hello'));
    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks.slice(0, -1)) expect(chunk.trim().split(/\s+/)).toHaveLength(WORDS_PER_CHUNK);
    expect(chunks[0]).toBe('Fake model answer');
  });

  it('shortens a long question in its quote', () => {
    const answer = generateChatAnswer(chat('x'.repeat(500))).chunks.join('');
    expect(answer).toContain(`"${'x'.repeat(80)}…"`);
  });

  it('honours max_tokens: the first tokens, finish_reason length', () => {
    const cut = generateChatAnswer({ ...chat('Hello'), maxTokens: 4 });
    expect(cut.chunks).toEqual(['Fake model answer', ` ${cut.digest}.`]);
    expect(cut.finishReason).toBe('length');
    expect(generateChatAnswer({ ...chat('Hello'), maxTokens: 4096 }).finishReason).toBe('stop');
  });
});
