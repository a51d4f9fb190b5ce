import { Controller, Get } from '@nestjs/common';
import { PATH } from '#contracts';

@Controller()
export class HealthController {
  /** Liveness: the process answers HTTP. */
  @Get(PATH.MODEL_HEALTHZ)
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
