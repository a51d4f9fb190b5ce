import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PATH, WEB_IDE_PATH, WEB_IDE_TOKEN_OPTION_PARAM, type WebIdeTokenOption } from '#contracts';
import { badRequest } from '../errors.js';
import { redirectToSignIn } from '../sessions/return-to.js';
import { type RenderedPage, callbackPage, framePage, hostPage } from './pages.js';
import { WebIdeSettings, tokenOptionProblem } from './web-ide-settings.js';
import { WebSession } from './web-session.js';

/**
 * The Web IDE's pages (seed 000's title: the token reaches the model gateway "using Mediator"):
 * - GET /-/ide: the host page, the mediator, for the signed-in user (else 302 to sign in, as
 *   GitLab's web pages answer, back here once signed in); `?token_option=` picks how it obtains tokens for this visit
 *   (400 for an unknown one), WEB_IDE_TOKEN_OPTION otherwise;
 * - GET /oauth/ide/callback: option 1's redirect URI, completing the authorization in the browser;
 * - GET /-/ide/frame: the editor frame, addressed on the frame origin; it needs no session (it
 *   has none: it is another origin) and gets its tokens from the host page only.
 */
@Controller()
export class WebIdeController {
  constructor(
    @Inject(WebIdeSettings) private readonly settings: WebIdeSettings,
    @Inject(WebSession) private readonly web: WebSession,
  ) {}

  @Get(WEB_IDE_PATH.HOST)
  host(@Req() req: FastifyRequest, @Res() reply: FastifyReply): void {
    const tokenOption = this.tokenOption(req.query);
    const signedIn = this.web.current(req);
    if (!signedIn) {
      redirectToSignIn(req, reply);
      return;
    }
    send(
      reply,
      hostPage({
        user: signedIn.user,
        csrfToken: signedIn.session.csrfToken,
        tokenOption,
        hostOrigin: this.settings.hostOrigin,
        frameOrigin: this.settings.frameOrigin,
      }),
    );
  }

  /** Option 1's redirect URI: the page that completes the authorization in the browser (pages.ts callbackPage). */
  @Get(WEB_IDE_PATH.OAUTH_CALLBACK)
  oauthCallback(@Res() reply: FastifyReply): void {
    send(reply, callbackPage({ issuer: this.settings.issuer, hostOrigin: this.settings.hostOrigin }));
  }

  @Get(WEB_IDE_PATH.FRAME)
  frame(@Res() reply: FastifyReply): void {
    send(reply, framePage({ hostOrigin: this.settings.hostOrigin, gatewayUrl: this.settings.gatewayUrl }));
  }

  /** The query's token_option (400 naming the allowed values when it is not one), else the instance's default. */
  private tokenOption(query: unknown): WebIdeTokenOption {
    const value = (query as Record<string, unknown> | undefined)?.[WEB_IDE_TOKEN_OPTION_PARAM];
    if (value === undefined) return this.settings.defaultTokenOption;
    const problem = tokenOptionProblem(value);
    if (problem) throw badRequest(problem);
    return value as WebIdeTokenOption;
  }
}

function send(reply: FastifyReply, page: RenderedPage): void {
  void reply.status(200).headers(page.headers).send(page.html);
}
