import { Body, Controller, Inject, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  CHAT_STREAM_MEDIA_TYPE,
  compileValidator,
  describeViolations,
  PATH,
  SCHEMA,
  type FakeModelChatEvent,
  type FakeModelChatRequest,
} from '#contracts';
import { ContractHttpException } from '#common';
import { disconnectSignal } from '../faults/client-gone.js';
import { FaultInjector } from '../faults/fault-injector.js';
import { generateChatAnswer } from './chat-generator.js';

/** The model name the chat stream's `done` event reports. */
export const FAKE_CHAT_MODEL_NAME = 'fake-chat-model';

@Controller()
export class ChatController {
  private readonly validate = compileValidator(SCHEMA.FAKE_MODEL_CHAT_REQUEST);

  constructor(@Inject(FaultInjector) private readonly faults: FaultInjector) {}

  /**
   * POST /v1/chat/completions: the deterministic answer to the chat, streamed as NDJSON
   * (contracts fake-model-chat-event): one `final_answer_delta` per chunk, then `done`. The
   * faults apply as to completions (the same injector, counted per model call): latency before
   * the first chunk, an injected status instead of the stream, or a hang until the client goes.
   */
  @Post(PATH.MODEL_CHAT_COMPLETIONS)
  async chat(@Body() body: unknown, @Res() reply: FastifyReply): Promise<void> {
    const result = this.validate(body);
    if (!result.valid) throw new ContractHttpException({ error: `invalid request: ${describeViolations(result)}` }, 400);
    const request = body as FakeModelChatRequest;

    if (!(await this.faults.intercept(reply))) return;
    // The stream stops when the client goes mid-answer.
    const clientGone = disconnectSignal(reply);

    const answer = generateChatAnswer({ messages: request.messages, maxTokens: request.max_tokens });
    void reply
      .status(200)
      .header('content-type', `${CHAT_STREAM_MEDIA_TYPE.MODEL}; charset=utf-8`)
      .header('cache-control', 'no-cache')
      .send(Readable.from(events(answer.chunks, answer.finishReason, clientGone)));
  }
}

/**
 * The stream's lines, one chunk per turn of the event loop so each leaves as its own write
 * (a client sees the answer arrive in parts); stops when the client is gone.
 */
async function* events(chunks: readonly string[], finishReason: 'stop' | 'length', clientGone: AbortSignal): AsyncGenerator<string> {
  for (const text of chunks) {
    if (clientGone.aborted) return;
    yield line({ type: 'final_answer_delta', data: { text } });
    await nextTurn();
  }
  yield line({ type: 'done', data: { model: FAKE_CHAT_MODEL_NAME, finish_reason: finishReason } });
}

const line = (event: FakeModelChatEvent) => `${JSON.stringify(event)}\n`;
