import { Body, Controller, HttpCode, Inject, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Readable } from 'node:stream';
import {
  CHAT_STREAM_MEDIA_TYPE,
  compileValidator,
  PATH,
  SCHEMA,
  UNIT_PRIMITIVE,
  type ChatRequest,
  type ChatResponse,
} from '#contracts';
import { APP_LOGGER, ContractHttpException, type Logger } from '#common';
import { RequiresUnitPrimitive } from '../auth/auth.decorators.js';
import { MODEL_FAILURE_STATUS, ModelError } from '../completions/model-client.js';
import { MODEL_ENGINE } from '../completions/completions.service.js';
import { toFastApiErrors, unparsableBodyErrors } from '../completions/request-validation.js';
import { UnparsableBody } from '../http/lenient-body-parsing.js';
import { ChatModelClient, type ChatAnswerStream } from './chat-model-client.js';
import { modelChatRequest } from './chat-request.js';

/**
 * Duo Chat: POST /v1/chat/agent, the route GitLab's AI gateway client posts chat prompts to
 * (ee/lib/gitlab/llm/ai_gateway/client.rb `"#{Gitlab::AiGateway.url}/v1/chat/agent"`; ai_gateway
 * api/v1/chat/agent.py L60-67 @823ced4678f5, the `agent` chat invokable). The AuthGuard has
 * authenticated the token exactly as for completions (JWT, header binding) and checked the
 * unit primitive duo_chat, else 403 {"detail":"Unauthorized to access duo_chat"}
 * (api/v1/chat/auth.py L35-41).
 */
@Controller()
export class ChatController {
  private readonly validate = compileValidator(SCHEMA.CHAT_REQUEST);

  constructor(
    @Inject(ChatModelClient) private readonly model: ChatModelClient,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * With `"stream": true` (what GitLab sends) the answer's text itself, in the chunks the model
   * streams, as text/event-stream (agent.py L168-175: `yield result.text`, no SSE framing), each
   * chunk written when it arrives and the next read only once it was taken (backpressure).
   * Otherwise the whole answer as {response, metadata} (typing.py L70-78). A model that fails or
   * times out before its stream starts: 502/504 {"detail"} as for completions; once the 200 has
   * gone out, a broken stream cuts the connection (the client sees the chunked body end without
   * its terminator, never a truncated answer passed off as whole). The caller going away aborts
   * the model call.
   */
  @Post(PATH.GATEWAY_CHAT_AGENT)
  @HttpCode(200)
  @RequiresUnitPrimitive(UNIT_PRIMITIVE.DUO_CHAT)
  async chat(@Body() body: unknown, @Res() reply: FastifyReply): Promise<void> {
    if (body instanceof UnparsableBody) throw new ContractHttpException({ detail: unparsableBodyErrors(body) }, 422);
    const result = this.validate(body);
    if (!result.valid) throw new ContractHttpException({ detail: toFastApiErrors(result.violations) }, 422);
    const request = body as ChatRequest;

    const cancelled = new AbortController();
    reply.raw.once('close', () => cancelled.abort());
    let answer: ChatAnswerStream;
    try {
      answer = await this.model.open(modelChatRequest(request), cancelled.signal);
    } catch (e) {
      throw this.modelFailure(e);
    }

    if (request.stream === true) {
      void reply
        .status(200)
        .header('content-type', `${CHAT_STREAM_MEDIA_TYPE.GATEWAY}; charset=utf-8`)
        .header('cache-control', 'no-cache')
        .header('x-accel-buffering', 'no')
        .send(Readable.from(this.relay(answer, reply)));
      return;
    }

    let text = '';
    try {
      for await (const chunk of answer.chunks) text += chunk;
    } catch (e) {
      throw this.modelFailure(e);
    }
    const response: ChatResponse = {
      response: text,
      metadata: { provider: MODEL_ENGINE, model: answer.model ?? 'unknown', timestamp: Math.floor(Date.now() / 1000) },
    };
    void reply.status(200).send(response);
  }

  /** The chunks as they come; a failure after the 200 is logged and cuts the connection. */
  private async *relay(answer: ChatAnswerStream, reply: FastifyReply): AsyncGenerator<string> {
    try {
      yield* answer.chunks;
    } catch (e) {
      this.logFailure(e);
      reply.raw.destroy();
    }
  }

  /** The contract's 502/504 for a model failure (logged unless the client left); anything else is rethrown. */
  private modelFailure(e: unknown): unknown {
    if (!(e instanceof ModelError)) return e;
    this.logFailure(e);
    return new ContractHttpException({ detail: e.message }, MODEL_FAILURE_STATUS[e.failure]);
  }

  private logFailure(e: unknown): void {
    if (e instanceof ModelError) {
      if (e.failure !== 'cancelled') this.logger.warn({ model: { failure: e.failure, detail: e.message, route: PATH.GATEWAY_CHAT_AGENT } }, 'model chat call failed');
    } else {
      this.logger.error({ model: { error: e instanceof Error ? e.name : typeof e, route: PATH.GATEWAY_CHAT_AGENT } }, 'model chat stream failed unexpectedly');
    }
  }
}
