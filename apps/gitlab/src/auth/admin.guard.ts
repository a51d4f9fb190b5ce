import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { GITLAB_ERROR } from '#contracts';
import { ContractHttpException } from '#common';
import { actorOf } from './allow-access-with-scope.decorator.js';

/**
 * GitLab's `authenticated_as_admin!` after authentication: 403 `{"message":"403 Forbidden"}`
 * unless the actor is an administrator. Runs after ApiGuard (`@UseGuards(ApiGuard, AdminGuard)`),
 * so an unauthenticated request has already had its 401.
 */
@Injectable()
export class AdminGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const actor = actorOf(context.switchToHttp().getRequest<FastifyRequest>());
    if (!actor) throw new Error('AdminGuard needs ApiGuard before it on the route');
    if (!actor.user.admin) throw new ContractHttpException(GITLAB_ERROR.FORBIDDEN, 403);
    return true;
  }
}
