import { Body, Controller, HttpCode, Inject, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Readable } from 'node:stream';
import {
  compileValidator,
  PATH,
  SCHEMA,
  UNIT_PRIMITIVE,
  type CompletionsRequest,
} from '#contracts';
import { APP_LOGGER, ContractHttpException, type Logger } from '#common';
import { RequiresUnitPrimitive } from '../auth/auth.decorators.js';
import { UnparsableBody } from '../http/lenient-body-parsing.js';
import { CompletionsService } from './completions.service.js';
import { ideLeaving, MODEL_FAILURE_STATUS, ModelError } from './model-client.js';
import { toFastApiErrors, unparsableBodyErrors } from './request-validation.js';

/** Streaming chunks: the completion split after each run of words and whitespace. */
const CHUNK = /\s*\S+\s*/g;

@Controller()
export class CompletionsController {
  private readonly validate = compileValidator(SCHEMA.COMPLETIONS_REQUEST);

  constructor(
    @Inject(CompletionsService) private readonly completions: CompletionsService,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * POST /v2/code/completions (and the older alias /v2/completions). The AuthGuard has
   * authenticated the token and checked the code_suggestions unit primitive before this runs.
   */
  @Post([PATH.GATEWAY_COMPLETIONS, PATH.GATEWAY_COMPLETIONS_ALIAS])
  @HttpCode(200)
  @RequiresUnitPrimitive(UNIT_PRIMITIVE.CODE_SUGGESTIONS)
  async complete(@Body() body: unknown, @Res() reply: FastifyReply): Promise<void> {
    if (body instanceof UnparsableBody) throw new ContractHttpException({ detail: unparsableBodyErrors(body) }, 422);
    const result = this.validate(body);
    if (!result.valid) throw new ContractHttpException({ detail: toFastApiErrors(result.violations) }, 422);
    const request = body as CompletionsRequest;

    let response;
    try {
      // The IDE left before the answer (it does on every new keystroke): the model call stops.
      response = await this.completions.complete(request, ideLeaving(reply.raw));
    } catch (e) {
      if (e instanceof ModelError) {
        if (e.failure !== 'cancelled') this.logger.warn({ model: { failure: e.failure, detail: e.message } }, 'model call failed');
        throw new ContractHttpException({ detail: e.message }, MODEL_FAILURE_STATUS[e.failure]);
      }
      throw e;
    }

    if (request.stream === true) {
      // As the production gateway: the completion text itself, in chunks, as text/event-stream.
      const text = response.choices[0]?.text ?? '';
      void reply
        .status(200)
        .header('content-type', 'text/event-stream; charset=utf-8')
        .header('cache-control', 'no-cache')
        .header('x-accel-buffering', 'no')
        .send(Readable.from(text.match(CHUNK) ?? []));
      return;
    }
    void reply.status(200).send(response);
  }
}
