import { createHash } from 'node:crypto';
import type { ChatMessage } from '#contracts';

export interface ChatAnswerInput {
  messages: readonly ChatMessage[];
  maxTokens?: number | undefined;
}

export interface GeneratedChatAnswer {
  /** The answer's text, cut into the chunks the stream sends, in order (joined: the whole answer). */
  chunks: string[];
  finishReason: 'stop' | 'length';
  /** Short digest of the chat (every message's role and content), also in the text. */
  digest: string;
}

/** Words per streamed chunk. */
export const WORDS_PER_CHUNK = 3;
/** Longest quote of the question in the answer, characters. */
const QUOTE_MAX = 80;

/** A "token" is a run of non-space characters with the whitespace before it (as completions count them). */
const TOKEN = /\s*\S+/g;

/**
 * The fake model's chat answer: deterministic for a given chat (same messages -> same words in
 * the same chunks), naming a digest of the chat and quoting the last user message, so a test can
 * tell which question an answer belongs to. `maxTokens` cuts the answer (finish_reason length).
 */
export function generateChatAnswer(input: ChatAnswerInput): GeneratedChatAnswer {
  const hash = createHash('sha256');
  for (const m of input.messages) hash.update(m.role).update('\0').update(m.content).update('\0');
  const digest = hash.digest('hex').slice(0, 8);
  const question = [...input.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  const text =
    `Fake model answer ${digest}. You asked: "${quote(question)}". ` +
    'This answer is deterministic: the same chat gives the same words in the same chunks.';

  const tokens = text.match(TOKEN) ?? [];
  const kept = input.maxTokens === undefined ? tokens : tokens.slice(0, input.maxTokens);
  const chunks: string[] = [];
  for (let i = 0; i < kept.length; i += WORDS_PER_CHUNK) chunks.push(kept.slice(i, i + WORDS_PER_CHUNK).join(''));
  return { chunks, finishReason: kept.length < tokens.length ? 'length' : 'stop', digest };
}

/** The question on one line, shortened with an ellipsis. */
function quote(question: string): string {
  const line = question.replace(/\s+/g, ' ').trim();
  return line.length > QUOTE_MAX ? `${line.slice(0, QUOTE_MAX)}…` : line;
}
