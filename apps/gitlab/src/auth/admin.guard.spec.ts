import type { ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { GITLAB_ERROR } from '#contracts';
import { ContractHttpException } from '#common';
import type { GitlabUser } from '../identity/identity.service.js';
import { AdminGuard } from './admin.guard.js';
import { setActor } from './allow-access-with-scope.decorator.js';

const user = (admin: boolean): GitlabUser => ({ id: 1, username: admin ? 'root' : 'dev', name: 'x', admin, groups: [], globalId: 'g' });

function contextWith(actorUser?: GitlabUser): ExecutionContext {
  const req = {} as FastifyRequest;
  if (actorUser) setActor(req, { via: 'personal_access_token', user: actorUser, scopes: ['api'], tokenName: 'api' });
  return { switchToHttp: () => ({ getRequest: () => req }) } as unknown as ExecutionContext;
}

describe('AdminGuard', () => {
  const guard = new AdminGuard();

  it('lets an administrator through', () => {
    expect(guard.canActivate(contextWith(user(true)))).toBe(true);
  });

  it('answers 403 {"message":"403 Forbidden"} for anyone else, sessions included', () => {
    for (const ctx of [contextWith(user(false))]) {
      try {
        guard.canActivate(ctx);
        throw new Error('expected a ContractHttpException');
      } catch (e) {
        expect(e).toBeInstanceOf(ContractHttpException);
        expect([(e as ContractHttpException).getStatus(), (e as ContractHttpException).body]).toEqual([403, GITLAB_ERROR.FORBIDDEN]);
      }
    }
    const req = {} as FastifyRequest;
    setActor(req, { via: 'session', user: user(false) });
    expect(() => guard.canActivate({ switchToHttp: () => ({ getRequest: () => req }) } as unknown as ExecutionContext)).toThrow(ContractHttpException);
  });

  it('refuses to run without ApiGuard before it (a wiring bug, not a 403)', () => {
    expect(() => guard.canActivate(contextWith())).toThrow(/needs ApiGuard/);
  });
});
