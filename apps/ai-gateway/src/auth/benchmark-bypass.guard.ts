import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { UNIT_PRIMITIVE } from '#contracts';
import type { AuthenticatedRequest } from './auth.guard.js';
import type { VerifiedToken } from './token-verifier.js';

/** What every request carries under the bypass: no claims worth trusting, every unit primitive. */
const BYPASS_TOKEN: VerifiedToken = Object.freeze({
  ok: true,
  claims: Object.freeze({}),
  scopes: Object.freeze(Object.values(UNIT_PRIMITIVE)),
  issuer: 'benchmark-bypass',
  kid: undefined,
  legacyAudience: false,
}) as VerifiedToken;

/**
 * AIGW_AUTH_GUARD=benchmark-bypass: verifies nothing, so `npm run bench` can measure the
 * keystroke without auth in the same run as with it (the cost of auth). The configuration
 * refuses it unless the gateway listens on loopback (config.ts, checkBenchmarkBypass).
 */
@Injectable()
export class BenchmarkBypassGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    context.switchToHttp().getRequest<AuthenticatedRequest>().aiAccessToken = BYPASS_TOKEN;
    return true;
  }
}
