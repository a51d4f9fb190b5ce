import { Controller, Get, Inject, Optional } from '@nestjs/common';
import { PATH } from '#contracts';
import { ContractHttpException } from '#common';
import { PublicRoute } from '../auth/auth.decorators.js';
import { JwksCache, type IssuerStatus } from '../auth/jwks-cache.js';
import { OAuthTokenVerifier } from '../auth/oauth-token-verifier.js';

interface IssuerReadiness {
  issuer: string;
  status: IssuerStatus;
  keys: number;
  lastError: string | null;
}

@Controller()
@PublicRoute()
export class MonitoringController {
  constructor(
    @Inject(JwksCache) private readonly keys: JwksCache,
    @Optional() @Inject(OAuthTokenVerifier) private readonly oauth: OAuthTokenVerifier | null = null,
  ) {}

  /** Liveness: the process answers HTTP. */
  @Get(PATH.GATEWAY_HEALTHZ)
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * Readiness: whether the gateway can verify tokens. Loads what is due first (an issuer without
   * keys is retried once the cold-retry interval has passed), so the answer flips back to 200 on
   * the first probe after an issuer returns. 200 `ok` while every trusted issuer has usable keys;
   * 200 `degraded`, with the reason per issuer, while at least one can verify and others serve
   * stale keys or none (one issuer's outage, a CustomersDot down, must not take every replica
   * out of rotation); 503 `unavailable` when no trusted issuer's tokens can be verified at all
   * (checklist gateway-auth 15, 21).
   * With OAuth token verification on (seed 000 option 1), `checks.oauth` shows the back channel
   * as its latest call left it (`unknown` before the first; no probe of GitLab is made, since a
   * call needs a token). It never decides the status: JWT keystrokes work while GitLab's token
   * endpoint is down, and OAuth keystrokes then get 503, not a replica taken out of rotation.
   */
  @Get(PATH.GATEWAY_READY)
  async ready(): Promise<object> {
    await this.keys.ensureLoaded();
    const issuers: IssuerReadiness[] = this.keys.snapshot().map((s) => ({ issuer: s.issuer, status: s.status, keys: s.keys.length, lastError: s.lastError }));
    const troubled = issuers.filter((i) => i.status !== 'ok');
    const reason = troubled.map((i) => `${i.issuer}: ${describe(i)}`).join('; ');
    const oauth = this.oauth === null ? {} : { oauth: this.oauth.state() };
    if (issuers.every((i) => i.status === 'unavailable')) {
      throw new ContractHttpException({ status: 'unavailable', checks: { jwks: { status: 'unavailable', reason, issuers }, ...oauth } }, 503);
    }
    return { status: 'ok', checks: { jwks: troubled.length === 0 ? { status: 'ok', issuers } : { status: 'degraded', reason, issuers }, ...oauth } };
  }
}

function describe(issuer: IssuerReadiness): string {
  if (issuer.status === 'stale') return `serving the last good keys while fetches fail: ${issuer.lastError}`;
  return `no usable signing key, tokens cannot be verified: ${issuer.lastError ?? 'keys not loaded yet'}`;
}
