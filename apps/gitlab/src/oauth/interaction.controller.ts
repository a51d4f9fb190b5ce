import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Body, Controller, Get, Inject, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { OAUTH_PATH, SESSION_COOKIE } from '#contracts';
import { SIGN_IN_FIELDS } from '../auth/strategies/password.strategy.js';
import { IdentityService } from '../identity/identity.service.js';
import { SessionsService, csrfTokenMatches } from '../sessions/sessions.service.js';
import { WebSession } from '../web-ide/web-session.js';
import { AuthorizationServer } from './authorization-server.js';
import type { InteractionDetails, InteractionResult, OidcProvider } from './oidc-provider-api.js';
import { CSRF_FIELD, HTML_CONTENT_TYPE, consentPage, errorPage, interactionSignInPage } from './pages.js';

const COOKIE_OPTIONS = { path: '/', httpOnly: true, sameSite: 'lax' } as const;

type Form = Record<string, unknown> | undefined;
const field = (body: Form, name: string): string | undefined => (typeof body?.[name] === 'string' ? (body[name] as string) : undefined);

/**
 * The sign-in and consent pages of one authorization (`/oauth/interaction/{uid}`; GitLab renders
 * both at /oauth/authorize). Bound to the app's browser session: a user signed in with
 * `_gitlab_session` is not asked to sign in again, and signing in here signs in to the app.
 * A trusted application (the Web IDE's) never gets here for consent (its grant is made by
 * loadExistingGrant). Every form post needs its `authenticity_token`: the session's CSRF token
 * on the consent page, on the sign-in page (no session yet) an HMAC of the interaction uid.
 */
@Controller()
export class InteractionController {
  private readonly signInSecret = randomBytes(32);

  constructor(
    @Inject(AuthorizationServer) private readonly server: AuthorizationServer,
    @Inject(WebSession) private readonly web: WebSession,
    @Inject(SessionsService) private readonly sessions: SessionsService,
    @Inject(IdentityService) private readonly identity: IdentityService,
  ) {}

  @Get(`${OAUTH_PATH.INTERACTION}/:uid`)
  async show(@Param('uid') uid: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const found = await this.details(req, reply, uid);
    if (!found) return;
    const { provider, details } = found;
    const signedIn = this.web.current(req);
    const clientName = await this.clientName(provider, details);
    if (details.prompt.name === 'login') {
      if (signedIn) {
        await this.finish(provider, req, reply, { login: { accountId: String(signedIn.user.id) } }, false);
        return;
      }
      this.html(reply, 200, interactionSignInPage(uid, clientName, this.signInToken(uid)));
      return;
    }
    if (details.prompt.name !== 'consent' || !signedIn) {
      this.html(reply, 400, errorPage('invalid_request', 'This authorization cannot continue: start again from the application.'));
      return;
    }
    const scopes = (details.prompt.details.missingOIDCScope as string[] | undefined) ?? String(details.params.scope ?? '').split(' ').filter(Boolean);
    this.html(reply, 200, consentPage(uid, clientName, signedIn.user.username, scopes, signedIn.session.csrfToken));
  }

  @Post(`${OAUTH_PATH.INTERACTION}/:uid/login`)
  async login(@Param('uid') uid: string, @Body() body: Form, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const found = await this.details(req, reply, uid);
    if (!found) return;
    const { provider, details } = found;
    if (details.prompt.name !== 'login' || !this.signInTokenMatches(uid, field(body, CSRF_FIELD))) {
      this.html(reply, 422, errorPage('invalid_request', 'The form has expired or was not sent from this page: start again from the application.'));
      return;
    }
    const login = field(body, SIGN_IN_FIELDS.login);
    const password = field(body, SIGN_IN_FIELDS.password);
    const user = login && password ? await this.identity.verifyCredentials(login, password) : undefined;
    if (!user) {
      this.html(reply, 401, interactionSignInPage(uid, await this.clientName(provider, details), this.signInToken(uid), 'Invalid login or password.'));
      return;
    }
    // Signing in here signs in to the app too (the same `_gitlab_session` as /users/sign_in).
    void reply.setCookie(SESSION_COOKIE, this.sessions.create(user.id).id, COOKIE_OPTIONS);
    await this.finish(provider, req, reply, { login: { accountId: String(user.id) } }, false);
  }

  @Post(`${OAUTH_PATH.INTERACTION}/:uid/confirm`)
  async confirm(@Param('uid') uid: string, @Body() body: Form, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const found = await this.consentPending(req, reply, uid, body);
    if (!found) return;
    const { provider, details, accountId } = found;
    const grant = (details.grantId && (await provider.Grant.find(details.grantId))) || new provider.Grant({ accountId, clientId: String(details.params.client_id) });
    const missingScope = (details.prompt.details.missingOIDCScope as string[] | undefined) ?? [];
    if (missingScope.length) grant.addOIDCScope(missingScope.join(' '));
    const missingClaims = (details.prompt.details.missingOIDCClaims as string[] | undefined) ?? [];
    if (missingClaims.length) grant.addOIDCClaims(missingClaims);
    const grantId = await grant.save();
    await this.finish(provider, req, reply, { consent: { grantId } }, true);
  }

  @Post(`${OAUTH_PATH.INTERACTION}/:uid/abort`)
  async abort(@Param('uid') uid: string, @Body() body: Form, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const found = await this.consentPending(req, reply, uid, body);
    if (!found) return;
    // Doorkeeper's denial: access_denied, redirected to the client with state and iss.
    await this.finish(
      found.provider,
      req,
      reply,
      { error: 'access_denied', error_description: 'The resource owner or authorization server denied the request.' },
      false,
    );
  }

  /** The pending interaction of this browser, or an error page (expired, another uid). */
  private async details(req: FastifyRequest, reply: FastifyReply, uid: string): Promise<{ provider: OidcProvider; details: InteractionDetails } | undefined> {
    const provider = await this.server.provider();
    try {
      const details = await provider.interactionDetails(req.raw, reply.raw);
      if (details.uid === uid) return { provider, details };
    } catch {
      // SessionNotFound: no interaction cookie, or the interaction expired.
    }
    this.html(reply, 400, errorPage('invalid_request', 'This authorization has expired or was started in another browser: start again from the application.'));
    return undefined;
  }

  /** A consent prompt of the signed-in user, with the session's CSRF token; or an error page. */
  private async consentPending(
    req: FastifyRequest,
    reply: FastifyReply,
    uid: string,
    body: Form,
  ): Promise<{ provider: OidcProvider; details: InteractionDetails; accountId: string } | undefined> {
    const found = await this.details(req, reply, uid);
    if (!found) return undefined;
    const signedIn = this.web.current(req);
    const accountId = found.details.session?.accountId;
    if (found.details.prompt.name !== 'consent' || !signedIn || !accountId || String(signedIn.user.id) !== accountId || !csrfTokenMatches(signedIn.session, field(body, CSRF_FIELD))) {
      this.html(reply, 422, errorPage('invalid_request', 'The form has expired or was not sent from this page: start again from the application.'));
      return undefined;
    }
    return { ...found, accountId };
  }

  private async finish(provider: OidcProvider, req: FastifyRequest, reply: FastifyReply, result: InteractionResult, merge: boolean): Promise<void> {
    const to = await provider.interactionResult(req.raw, reply.raw, result, { mergeWithLastSubmission: merge });
    void reply.redirect(to, 303);
  }

  private async clientName(provider: OidcProvider, details: InteractionDetails): Promise<string> {
    const client = await provider.Client.find(String(details.params.client_id));
    return client?.clientName ?? String(details.params.client_id);
  }

  private html(reply: FastifyReply, status: number, body: string): void {
    void reply.status(status).header('content-type', HTML_CONTENT_TYPE).header('cache-control', 'no-store').send(body);
  }

  private signInToken(uid: string): string {
    return createHmac('sha256', this.signInSecret).update(uid).digest('base64url');
  }

  private signInTokenMatches(uid: string, presented: string | undefined): boolean {
    if (!presented) return false;
    const expected = Buffer.from(this.signInToken(uid));
    const given = Buffer.from(presented);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
