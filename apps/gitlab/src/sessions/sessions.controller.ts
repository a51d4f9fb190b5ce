import { Body, Controller, Get, Inject, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HEADER, PATH, SESSION_COOKIE } from '#contracts';
import { sessionCookie } from '../auth/credentials.js';
import { PasswordSignInGuard, SignedInUser } from '../auth/password-sign-in.guard.js';
import { type GitlabUser, IdentityService } from '../identity/identity.service.js';
import { HTML_CONTENT_TYPE as HTML, homePage, signInPage } from './pages.js';
import { redirectToSignIn, takeReturnTo } from './return-to.js';
import { SessionsService, csrfTokenMatches } from './sessions.service.js';
import { SignInFailureFilter } from './sign-in-failure.filter.js';

export const SIGN_OUT_PATH = PATH.GITLAB_SIGN_OUT;

const COOKIE_OPTIONS = { path: '/', httpOnly: true, sameSite: 'lax' } as const;

/**
 * The browser side of GitLab: sign in (form or JSON), the signed-in home page that carries
 * the CSRF token, sign out. A successful sign-in sets `_gitlab_session` (HttpOnly,
 * SameSite=Lax) and redirects to the page that sent the browser to sign in (return-to.ts), else
 * `/`, as Devise does.
 */
@Controller()
export class SessionsController {
  constructor(
    @Inject(IdentityService) private readonly identity: IdentityService,
    @Inject(SessionsService) private readonly sessions: SessionsService,
  ) {}

  @Get(PATH.GITLAB_SIGN_IN)
  signInForm(@Req() req: FastifyRequest, @Res() reply: FastifyReply): void {
    if (this.sessions.get(sessionCookie(req))) {
      void reply.status(302).header('location', takeReturnTo(req, reply)).send();
      return;
    }
    void reply.status(200).header('content-type', HTML).header('cache-control', 'no-store').send(signInPage());
  }

  /**
   * The sign-in form's post (or its JSON twin): PasswordSignInGuard checks the password
   * (passport-local); a refused sign-in is answered by SignInFailureFilter.
   */
  @Post(PATH.GITLAB_SIGN_IN)
  @UseGuards(PasswordSignInGuard)
  @UseFilters(SignInFailureFilter)
  signIn(@SignedInUser() user: GitlabUser, @Req() req: FastifyRequest, @Res() reply: FastifyReply): void {
    const { id } = this.sessions.create(user.id);
    void reply
      .status(302)
      .setCookie(SESSION_COOKIE, id, COOKIE_OPTIONS)
      .header('location', takeReturnTo(req, reply))
      .send();
  }

  @Get('/')
  home(@Req() req: FastifyRequest, @Res() reply: FastifyReply): void {
    const session = this.sessions.get(sessionCookie(req));
    const user = session && this.identity.findUserById(session.userId);
    if (!session || !user) {
      redirectToSignIn(req, reply);
      return;
    }
    void reply.status(200).header('content-type', HTML).header('cache-control', 'no-store').send(homePage(user, session.csrfToken));
  }

  /** Sign-out is state-changing: it needs the CSRF token (header or authenticity_token field), else 422 as Rails answers. */
  @Post(SIGN_OUT_PATH)
  signOut(@Req() req: FastifyRequest, @Body() body: unknown, @Res() reply: FastifyReply): void {
    const id = sessionCookie(req);
    const session = this.sessions.get(id);
    if (session) {
      const headerToken = req.headers[HEADER.CSRF_TOKEN.toLowerCase()];
      const formToken = body && typeof body === 'object' ? (body as Record<string, unknown>).authenticity_token : undefined;
      const presented = typeof headerToken === 'string' ? headerToken : typeof formToken === 'string' ? formToken : undefined;
      if (!csrfTokenMatches(session, presented)) {
        void reply.status(422).send({ message: '422 Unprocessable Entity' });
        return;
      }
      this.sessions.destroy(id);
    }
    void reply
      .status(302)
      .clearCookie(SESSION_COOKIE, COOKIE_OPTIONS)
      .header('location', PATH.GITLAB_SIGN_IN)
      .send();
  }
}
