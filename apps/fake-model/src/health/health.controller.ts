import { Controller, Get } from '@nestjs/common';
import { PATH } from '../../../../contracts/src/index.js';

@Controller()
export class HealthController {
  /** Liveness: the process answers HTTP. */
  @Get(PATH.MODEL_HEALTHZ)
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
