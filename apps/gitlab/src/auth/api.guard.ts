import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ContractHttpException } from '#common';
import { ALLOWED_SCOPES_KEY, setActor } from './allow-access-with-scope.decorator.js';
import { ApiAuthService } from './api-auth.service.js';

/** API::APIGuard as a Nest guard: authenticates or answers with GitLab's exact error. */
@Injectable()
export class ApiGuard implements CanActivate {
  constructor(
    @Inject(ApiAuthService) private readonly auth: ApiAuthService,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const scopes =
      this.reflector.getAllAndOverride<string[] | undefined>(ALLOWED_SCOPES_KEY, [context.getHandler(), context.getClass()]) ?? [];
    const decision = this.auth.authenticate({ method: req.method, headers: req.headers, query: req.query, cookies: req.cookies }, scopes);
    if (!decision.ok) throw new ContractHttpException(decision.body, decision.status, decision.headers);
    setActor(req, decision.actor);
    return true;
  }
}
