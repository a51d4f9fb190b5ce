import { Controller, Get, Inject } from '@nestjs/common';
import { PATH } from '../../../../contracts/src/index.js';
import { ContractHttpException } from '../../../common/src/index.js';
import { PublicRoute } from '../auth/auth.decorators.js';
import { JwksCache } from '../auth/jwks-cache.js';

@Controller()
@PublicRoute()
export class MonitoringController {
  constructor(@Inject(JwksCache) private readonly keys: JwksCache) {}

  /** Liveness: the process answers HTTP. */
  @Get(PATH.GATEWAY_HEALTHZ)
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: at least one trusted key can verify tokens (a load is tried when none is). */
  @Get(PATH.GATEWAY_READY)
  async ready(): Promise<object> {
    if (!this.keys.hasUsableKeys()) await this.keys.ensureLoaded();
    const issuers = this.keys.snapshot().map((s) => ({ issuer: s.issuer, keys: s.keys.length, lastError: s.lastError }));
    if (this.keys.hasUsableKeys()) return { status: 'ok', checks: { jwks: { status: 'ok', issuers } } };
    throw new ContractHttpException(
      { status: 'unavailable', checks: { jwks: { status: 'unavailable', reason: 'no trusted signing key is loaded', issuers } } },
      503,
    );
  }
}
