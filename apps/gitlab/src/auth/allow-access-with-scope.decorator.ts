import { SetMetadata, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Actor } from './actor.js';

export const ALLOWED_SCOPES_KEY = 'gitlab:allowed-scopes';

/**
 * GitLab's `allow_access_with_scope`: extra access token scopes (personal access tokens and
 * OAuth access tokens alike) an endpoint accepts besides `api` (always) and `read_api`
 * (GET/HEAD). Needs ApiGuard on the controller.
 */
export const AllowAccessWithScope = (...scopes: string[]) => SetMetadata(ALLOWED_SCOPES_KEY, scopes);

/** The actor ApiGuard authenticated. */
export const CurrentActor = createParamDecorator((_data: unknown, ctx: ExecutionContext): Actor => {
  const actor = actorOf(ctx.switchToHttp().getRequest<FastifyRequest>());
  if (!actor) throw new Error('CurrentActor used on a route without ApiGuard');
  return actor;
});

const actors = new WeakMap<object, Actor>();

export function setActor(req: FastifyRequest, actor: Actor): void {
  actors.set(req, actor);
}

export function actorOf(req: FastifyRequest): Actor | undefined {
  return actors.get(req);
}
