import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { HEADER } from '#contracts';
import { ContractHttpException } from '../exceptions.js';

export const HARNESS_CONTROL_TOKEN = Symbol('HARNESS_CONTROL_TOKEN');

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Guards the harness-only control API. That API exists only when the process was started
 * with HARNESS_CONTROL_TOKEN (the harness does so; production use never should), and every
 * call must present the same token.
 */
@Injectable()
export class HarnessControlGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(@Inject(HARNESS_CONTROL_TOKEN) token: string) {
    this.expected = digest(token);
  }

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const given = req.headers[HEADER.HARNESS_CONTROL.toLowerCase()];
    if (typeof given === 'string' && timingSafeEqual(digest(given), this.expected)) return true;
    throw new ContractHttpException({ message: `401 Unauthorized: the harness control API needs the ${HEADER.HARNESS_CONTROL} header` }, 401);
  }
}
