import { type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { AuthGuard as PassportGuard, PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { NamedCustomStrategy, uniqueStrategyName } from '#common';
import { AuthGuard, type AuthenticatedRequest } from './auth.guard.js';
import type { VerifiedOAuthToken } from './oauth-token-verifier.js';
import type { VerifiedToken } from './token-verifier.js';

/** The passport strategy's name for this app instance (tests run several gateways in one process). */
export class AiAccessTokenStrategyName {
  readonly name = uniqueStrategyName('ai-access-token');
}

/** The gateway's token authentication (AuthGuard.authenticate) as a passport-custom strategy. */
@Injectable()
export class AiAccessTokenStrategy extends PassportStrategy(NamedCustomStrategy) {
  constructor(
    @Inject(AiAccessTokenStrategyName) strategy: AiAccessTokenStrategyName,
    @Inject(AuthGuard) private readonly direct: AuthGuard,
  ) {
    super(strategy.name);
  }

  validate(req: FastifyRequest): Promise<VerifiedToken | VerifiedOAuthToken> {
    return this.direct.authenticate(req);
  }
}

/**
 * AIGW_AUTH_GUARD=passport: the per-keystroke guard on @nestjs/passport, with exactly the
 * checks and answers of AuthGuard (its strategy calls AuthGuard.authenticate, and the unit
 * primitive is checked by AuthGuard.authorize). Kept for the benchmark, which measures both
 * wirings in the same run; the gateway runs the direct one by default (README, "Benchmarks").
 */
@Injectable()
export class PassportAuthGuard extends PassportGuard() {
  constructor(
    @Inject(AiAccessTokenStrategyName) strategy: AiAccessTokenStrategyName,
    @Inject(AuthGuard) private readonly direct: AuthGuard,
  ) {
    super({ defaultStrategy: strategy.name, session: false });
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.direct.isPublic(context)) return true;
    await super.canActivate(context);
    const request = context.switchToHttp().getRequest<AuthenticatedRequest & { user?: VerifiedToken | VerifiedOAuthToken }>();
    this.direct.authorize(request, request.user!, context);
    return true;
  }

  /** The strategy's contract exception as thrown (401/503), never passport's own 401. */
  override handleRequest<T>(err: unknown, token: T): T {
    if (err) throw err;
    return token;
  }
}
