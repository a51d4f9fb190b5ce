import { Body, Controller, Inject, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import {
  compileValidator,
  describeViolations,
  PATH,
  SCHEMA,
  type FakeModelRequest,
} from '#contracts';
import { ContractHttpException } from '#common';
import { FaultInjector } from '../faults/fault-injector.js';
import { CompletionsService } from './completions.service.js';

@Controller()
export class CompletionsController {
  private readonly validate = compileValidator(SCHEMA.FAKE_MODEL_REQUEST);

  constructor(
    @Inject(CompletionsService) private readonly completions: CompletionsService,
    @Inject(FaultInjector) private readonly faults: FaultInjector,
  ) {}

  /** POST /v1/completions: a deterministic completion, unless a fault was injected. */
  @Post(PATH.MODEL_COMPLETIONS)
  async complete(@Body() body: unknown, @Res() reply: FastifyReply): Promise<void> {
    const result = this.validate(body);
    if (!result.valid) throw new ContractHttpException({ error: `invalid request: ${describeViolations(result)}` }, 400);

    if (!(await this.faults.intercept(reply))) return;
    void reply.status(200).send(this.completions.complete(body as FakeModelRequest));
  }
}
