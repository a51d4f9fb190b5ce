import { Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type CodeSuggestionsTokenResponse, GITLAB_ERROR, WEB_IDE_PATH } from '#contracts';
import { ContractHttpException } from '#common';
import { IdeTokenIssuer } from './ide-token-issuer.service.js';
import { WebSession } from './web-session.js';

/** Rails' answer to a state-changing request without the session's CSRF token (ActionController::InvalidAuthenticityToken). */
export const INVALID_AUTHENTICITY_TOKEN = { message: '422 Unprocessable Entity' } as const;

/**
 * POST /-/ide/code_suggestions/tokens, seed 000 option 3: the IDE controller authorises the
 * browser session (401 without one; 422 without its CSRF token in X-CSRF-Token) and answers
 * 201 with a signed AI access token in the shape of POST /api/v4/code_suggestions/tokens
 * (IdeTokenIssuer; 403 when the user may not use code suggestions). Never cached.
 */
@Controller()
export class IdeTokensController {
  constructor(
    @Inject(WebSession) private readonly web: WebSession,
    @Inject(IdeTokenIssuer) private readonly issuer: IdeTokenIssuer,
  ) {}

  @Post(WEB_IDE_PATH.TOKENS)
  @HttpCode(201)
  create(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): CodeSuggestionsTokenResponse {
    void reply.header('cache-control', 'no-store');
    const signedIn = this.web.current(req);
    if (!signedIn) throw new ContractHttpException(GITLAB_ERROR.UNAUTHORIZED, 401);
    if (!this.web.hasCsrfToken(req, signedIn.session)) throw new ContractHttpException(INVALID_AUTHENTICITY_TOKEN, 422);
    return this.issuer.issue(signedIn.user);
  }
}
