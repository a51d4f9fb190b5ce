import { Controller, Get, Header } from '@nestjs/common';
import { PATH } from '#contracts';

/** GitLab's health checks: the embedded stack's launcher waits on /-/health. */
@Controller()
export class HealthController {
  @Get(PATH.GITLAB_HEALTH)
  @Header('Content-Type', 'text/plain; charset=utf-8')
  health(): string {
    return 'GitLab OK';
  }

  @Get('/-/readiness')
  readiness(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('/-/liveness')
  liveness(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
