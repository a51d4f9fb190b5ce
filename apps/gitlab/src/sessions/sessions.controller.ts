import { Body, Controller, Get, Headers, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HEADER, PATH, SESSION_COOKIE } from '#contracts';
import { IdentityService } from '../identity/identity.service.js';
import { homePage, signInPage } from './pages.js';
import { SessionsService, csrfTokenMatches } from './sessions.service.js';

export const SIGN_OUT_PATH = '/users/sign_out';
export const INVALID_LOGIN_MESSAGE = 'Invalid login or password.';

const COOKIE_OPTIONS = { path: '/', httpOnly: true, sameSite: 'lax' } as const;

function sessionCookie(req: FastifyRequest): string | undefined {
  return req.cookies[SESSION_COOKIE] || undefined;
}
const HTML = 'text/html; charset=utf-8';

/** `user[login]`/`user[password]` from a form (flat or nested keys) or `{"user":{login,password}}` JSON. */
export function signInCredentials(body: unknown): { login: string; password: string } | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown>;
  const nested = b.user && typeof b.user === 'object' ? (b.user as Record<string, unknown>) : {};
  const login = nested.login ?? b['user[login]'];
  const password = nested.password ?? b['user[password]'];
  return typeof login === 'string' && typeof password === 'string' && login && password ? { login, password } : undefined;
}

/**
 * The browser side of GitLab: sign in (form or JSON), the signed-in home page that carries
 * the CSRF token, sign out. A successful sign-in sets `_gitlab_session` (HttpOnly,
 * SameSite=Lax) and redirects to `/`, as Devise does.
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
      void reply.status(302).header('location', '/').send();
      return;
    }
    void reply.status(200).header('content-type', HTML).header('cache-control', 'no-store').send(signInPage());
  }

  @Post(PATH.GITLAB_SIGN_IN)
  async signIn(@Body() body: unknown, @Headers('content-type') contentType: string | undefined, @Res() reply: FastifyReply): Promise<void> {
    const wantsJson = (contentType ?? '').toLowerCase().includes('json');
    const credentials = signInCredentials(body);
    const user = credentials && (await this.identity.verifyCredentials(credentials.login, credentials.password));
    if (!user) {
      if (wantsJson) void reply.status(401).send({ message: INVALID_LOGIN_MESSAGE });
      else void reply.status(401).header('content-type', HTML).header('cache-control', 'no-store').send(signInPage(INVALID_LOGIN_MESSAGE));
      return;
    }
    const { id } = this.sessions.create(user.id);
    void reply
      .status(302)
      .setCookie(SESSION_COOKIE, id, COOKIE_OPTIONS)
      .header('location', '/')
      .send();
  }

  @Get('/')
  home(@Req() req: FastifyRequest, @Res() reply: FastifyReply): void {
    const session = this.sessions.get(sessionCookie(req));
    const user = session && this.identity.findUserById(session.userId);
    if (!session || !user) {
      void reply.status(302).header('location', PATH.GITLAB_SIGN_IN).send();
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
