import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { INVALID_LOGIN_MESSAGE, SignInRefused } from '../auth/password-sign-in.guard.js';
import { HTML_CONTENT_TYPE, signInPage } from './pages.js';

/**
 * Devise's failure app for the sign-in route: a refused sign-in is 401 with
 * `{"message":"Invalid login or password."}` when the client sent JSON, otherwise the sign-in
 * page again with that flash. Neither sets a cookie.
 */
@Catch(SignInRefused)
export class SignInFailureFilter implements ExceptionFilter {
  catch(_refused: SignInRefused, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const wantsJson = (http.getRequest<FastifyRequest>().headers['content-type'] ?? '').toLowerCase().includes('json');
    const reply = http.getResponse<FastifyReply>();
    if (wantsJson) void reply.status(401).send({ message: INVALID_LOGIN_MESSAGE });
    else void reply.status(401).header('content-type', HTML_CONTENT_TYPE).header('cache-control', 'no-store').send(signInPage(INVALID_LOGIN_MESSAGE));
  }
}
