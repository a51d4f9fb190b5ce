import { type CanActivate, type ExecutionContext, Inject, Injectable, Optional } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import {
  AUTHENTICATION_TYPE_OAUTH2,
  AUTHENTICATION_TYPE_OIDC,
  GATEWAY_AUTH_ERROR,
  GATEWAY_TOKEN_VERIFICATION_UNAVAILABLE,
  HEADER,
  headerBindingsFor,
  headerMismatchError,
  INSTANCE_TOKEN_BINDINGS,
  USER_TOKEN_BINDINGS,
  claimBinds,
  type HeaderBinding,
} from '#contracts';
import { APP_LOGGER, ContractHttpException, type Logger } from '#common';
import { PUBLIC_ROUTE, RequiresUnitPrimitive, unitPrimitiveForbiddenDetail } from './auth.decorators.js';
import { bearerCredentials, INVALID_CREDENTIALS, NO_CREDENTIALS } from './bearer-credentials.js';
import { looksLikeJose, OAuthTokenVerifier, type OAuthVerification, type VerifiedOAuthToken } from './oauth-token-verifier.js';
import { TokenVerifier, type Verification, type VerifiedToken } from './token-verifier.js';

const AUTHORIZATION = HEADER.AUTHORIZATION.toLowerCase();
const AUTHENTICATION_TYPE = HEADER.AUTHENTICATION_TYPE.toLowerCase();

/** A binding with its header's lower-case name (Node's key in `headers`), computed once. */
type NamedBinding = HeaderBinding & { readonly name: string };
const withNames = (bindings: readonly HeaderBinding[]): readonly NamedBinding[] =>
  Object.freeze(bindings.map((b) => ({ ...b, name: b.header.toLowerCase() })));
const NAMED_BINDINGS = new Map([INSTANCE_TOKEN_BINDINGS, USER_TOKEN_BINDINGS].map((list) => [list, withNames(list)]));

/** The request property holding the verified token for handlers. */
export interface AuthenticatedRequest extends FastifyRequest {
  aiAccessToken?: VerifiedToken;
  /** Seed 000 option 1: the OAuth access token GitLab said is active (X-Gitlab-Authentication-Type: oauth2). */
  oauthAccessToken?: VerifiedOAuthToken;
}

/** The guard's refusals, made once each (ContractHttpException.constant): a refusal costs no allocation. */
const madeOnce = (make: (key: string) => ContractHttpException) => {
  const made = new Map<string, ContractHttpException>();
  return (key: string): ContractHttpException => {
    let refusal = made.get(key);
    if (refusal === undefined) made.set(key, (refusal = make(key)));
    return refusal;
  };
};
const unauthorized = madeOnce((error) => ContractHttpException.constant({ error }, 401));
const forbiddenWithout = madeOnce((primitive) => ContractHttpException.constant({ detail: unitPrimitiveForbiddenDetail(primitive) }, 403));

/** An authenticated token, or the contract refusal to send. */
type Authentication = VerifiedToken | VerifiedOAuthToken | ContractHttpException;

/** The verifier never throws by contract; should it, the keystroke still gets a 401, never a 500. */
function verifierFailure(logger: Logger, e: unknown): Verification {
  logger.error({ auth: { reason: 'verifier-error', error: e instanceof Error ? e.name : typeof e } }, 'token verification failed unexpectedly');
  return { ok: false, reason: 'malformed', detail: 'verifier error' };
}

/** What a route asks of the guard (@PublicRoute, @RequiresUnitPrimitive). */
interface RouteAuth {
  readonly isPublic: boolean;
  readonly primitive: string | undefined;
}

/**
 * Token authentication in the order of ai_gateway's MiddlewareAuthentication
 * (`cloud_connector/auth.py` L33-76 @823ced4678f5): header present, Bearer syntax,
 * authentication type oidc, token verification, header binding; then the route's unit
 * primitive (403). Contract bodies only; the reason for a refused token goes to the log
 * (reason, kid, iss), the token itself never does.
 *
 * Seed 000 option 1 (when AIGW_OAUTH_TOKEN_VERIFICATION is on): authentication type `oauth2`
 * names an opaque GitLab OAuth access token, verified by OAuthTokenVerifier (a back-channel
 * call to GitLab, cached). The type decides the path, never the token's looks: a JWT (a token
 * with '.') sent as oauth2 is refused without a call to GitLab, an opaque token sent as oidc is
 * refused by the JWT verifier's first check (not three base64url segments); both 401 "Forbidden
 * by auth provider", the reason logged. An OAuth token carries no claims, so no header is bound
 * to it (X-Gitlab-Realm, X-Gitlab-Instance-Id and X-Gitlab-Global-User-Id are not read: the
 * contracts' headerBindingsFor binds claims, and there are none); its scopes map to unit
 * primitives (contracts OAUTH_SCOPES_GRANTING). GitLab unreachable: 503 with Retry-After.
 * The JWT path is unchanged: one string comparison decides it first.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly routes = new WeakMap<object, RouteAuth>();

  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(TokenVerifier) private readonly verifier: TokenVerifier,
    @Inject(APP_LOGGER) private readonly logger: Logger,
    /** Null unless AIGW_OAUTH_TOKEN_VERIFICATION is on. */
    @Optional() @Inject(OAuthTokenVerifier) private readonly oauth: OAuthTokenVerifier | null = null,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    // KeystrokeAuthHook has already authenticated and authorized this request for its route.
    if (request.aiAccessToken !== undefined || request.oauthAccessToken !== undefined) return true;
    if (this.isPublic(context)) return true;
    this.authorize(request, await this.authenticate(request), context);
    return true;
  }

  /** Whether the route is marked @PublicRoute(). */
  isPublic(context: ExecutionContext): boolean {
    return this.routeOf(context).isPublic;
  }

  /** A handler's metadata, read once per handler: decorators never change after start-up. */
  private routeOf(context: ExecutionContext): RouteAuth {
    const handler = context.getHandler();
    let route = this.routes.get(handler);
    if (route === undefined) {
      route = {
        isPublic: this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [handler, context.getClass()]) === true,
        primitive: this.reflector.get(RequiresUnitPrimitive, handler),
      };
      this.routes.set(handler, route);
    }
    return route;
  }

  /** The route's unit primitive (403 without it), then the token recorded on the request for handlers. */
  authorize(request: AuthenticatedRequest, token: VerifiedToken | VerifiedOAuthToken, context: ExecutionContext): void {
    this.authorizeFor(request, token, this.routeOf(context).primitive);
  }

  /** authorize() for a route known by its unit primitive; throws the 403. */
  authorizeFor(request: AuthenticatedRequest, token: VerifiedToken | VerifiedOAuthToken, primitive: string | undefined): void {
    const refused = this.authorization(request, token, primitive);
    if (refused !== undefined) throw refused;
  }

  /**
   * The whole check for a route known by its unit primitive (KeystrokeAuthHook, before Nest's
   * routing): undefined when the request may go on (its token recorded on it), else the refusal
   * to send. Returned, never thrown, and synchronous unless the token needs a key load or a
   * back-channel call: on the per-keystroke path a thrown refusal costs a promise rejection
   * and its bookkeeping, more than the check itself.
   */
  verdict(request: AuthenticatedRequest, primitive: string | undefined): ContractHttpException | undefined | Promise<ContractHttpException | undefined> {
    const authentication = this.authentication(request);
    if (authentication instanceof Promise) {
      return authentication.then((result) => (result instanceof ContractHttpException ? result : this.authorization(request, result, primitive)));
    }
    return authentication instanceof ContractHttpException ? authentication : this.authorization(request, authentication, primitive);
  }

  /** The route's unit primitive: the 403 to send, or undefined with the token recorded on the request for handlers. */
  private authorization(request: AuthenticatedRequest, token: VerifiedToken | VerifiedOAuthToken, primitive: string | undefined): ContractHttpException | undefined {
    if (primitive !== undefined && !token.scopes.includes(primitive)) {
      // Built only when it will be written: a refusal here is on the per-keystroke path.
      if (this.logger.isLevelEnabled('debug')) {
        const who = 'kind' in token ? { type: AUTHENTICATION_TYPE_OAUTH2, oauthScopes: token.oauthScopes } : { kid: token.kid, iss: token.issuer };
        this.logger.debug({ auth: { reason: 'missing-unit-primitive', primitive, ...who } }, 'request forbidden');
      }
      return forbiddenWithout(primitive);
    }
    if ('kind' in token) request.oauthAccessToken = token;
    else request.aiAccessToken = token;
    return undefined;
  }

  /** The request's token, verified; throws the contract's 401 (or 503 for option 1 with GitLab down). */
  async authenticate(request: FastifyRequest): Promise<VerifiedToken | VerifiedOAuthToken> {
    const result = await this.authentication(request);
    if (result instanceof ContractHttpException) throw result;
    return result;
  }

  /** authenticate() returning its refusal instead of throwing it; synchronous when verification is. */
  private authentication(request: FastifyRequest): Authentication | Promise<Authentication> {
    const headers = request.headers;
    const bearer = bearerCredentials(headers[AUTHORIZATION], request.raw.rawHeaders);
    if (bearer === NO_CREDENTIALS) return unauthorized(GATEWAY_AUTH_ERROR.NO_HEADER);
    if (bearer === INVALID_CREDENTIALS) return unauthorized(GATEWAY_AUTH_ERROR.INVALID_HEADER);
    const type = headers[AUTHENTICATION_TYPE];
    if (type !== AUTHENTICATION_TYPE_OIDC) {
      if (type === AUTHENTICATION_TYPE_OAUTH2 && this.oauth !== null) return this.authenticateOAuth(this.oauth, bearer);
      return unauthorized(GATEWAY_AUTH_ERROR.INVALID_TYPE);
    }
    let verification: Verification | Promise<Verification>;
    try {
      verification = this.verifier.verify(bearer);
    } catch (e) {
      return this.judge(verifierFailure(this.logger, e), bearer, headers);
    }
    if (verification instanceof Promise) {
      return verification.then(
        (result) => this.judge(result, bearer, headers),
        (e: unknown) => this.judge(verifierFailure(this.logger, e), bearer, headers),
      );
    }
    return this.judge(verification, bearer, headers);
  }

  /** A verification as the contract answers it: the token, or 401 (the reason only in the debug log). */
  private judge(result: Verification, bearer: string, headers: FastifyRequest['headers']): Authentication {
    if (!result.ok) {
      // An opaque token sent as oidc fails the verifier's first check; say so when option 1 is on.
      const reason = result.reason === 'malformed' && this.oauth !== null && !looksLikeJose(bearer) ? 'opaque-token-as-oidc' : result.reason;
      if (this.logger.isLevelEnabled('debug')) this.logger.debug({ auth: { reason, detail: result.detail, kid: result.kid, iss: result.iss } }, 'token rejected');
      return unauthorized(GATEWAY_AUTH_ERROR.FORBIDDEN);
    }
    const mismatch = this.boundHeaderMismatch(result, headers);
    if (mismatch !== undefined) {
      if (this.logger.isLevelEnabled('debug')) this.logger.debug({ auth: { reason: 'header-mismatch', header: mismatch, kid: result.kid, iss: result.issuer } }, 'token rejected');
      return unauthorized(headerMismatchError(mismatch));
    }
    return result;
  }

  /**
   * Seed 000 option 1: GitLab's answer about an opaque token (OAuthTokenVerifier). Refused:
   * 401 "Forbidden by auth provider"; unverifiable now (GitLab down or failing, the lookup
   * budget spent): 503 with Retry-After, so the IDE retries the same token instead of signing
   * the user in again.
   */
  private async authenticateOAuth(oauth: OAuthTokenVerifier, bearer: string): Promise<VerifiedOAuthToken | ContractHttpException> {
    let result: OAuthVerification;
    try {
      result = await oauth.verify(bearer);
    } catch (e) {
      // Never thrown by contract (as verify below); should it, 503: nothing is known of the token.
      this.logger.error({ auth: { reason: 'oauth-verifier-error', error: e instanceof Error ? e.name : typeof e } }, 'OAuth token verification failed unexpectedly');
      result = { ok: false, unavailable: true, reason: 'back-channel-failed', detail: 'verifier error', retryAfterSeconds: 1 };
    }
    if (result.ok) return result;
    const auth = { reason: result.reason, detail: result.detail, type: AUTHENTICATION_TYPE_OAUTH2 };
    if (result.unavailable) {
      this.logger.warn({ auth }, 'token not verifiable now');
      return new ContractHttpException({ detail: GATEWAY_TOKEN_VERIFICATION_UNAVAILABLE }, 503, { 'retry-after': String(result.retryAfterSeconds) });
    }
    this.logger.debug({ auth }, 'token rejected');
    return unauthorized(GATEWAY_AUTH_ERROR.FORBIDDEN);
  }

  /**
   * The first bound header that does not carry its claim's value, in the production order
   * (`_validate_headers`, auth.py L98-121 @823ced4678f5): realm, instance id, then `sub` (to
   * the instance id, or to the global user id for the gateway's own user tokens). An absent or
   * empty claim binds nothing; a present claim with its header missing is a mismatch.
   */
  private boundHeaderMismatch(token: VerifiedToken, headers: FastifyRequest['headers']): string | undefined {
    const bindings = headerBindingsFor(token.claims.iss);
    for (const { claim, header, name } of NAMED_BINDINGS.get(bindings) ?? withNames(bindings)) {
      const value = token.claims[claim];
      if (claimBinds(value) && headers[name] !== value) return header;
    }
    return undefined;
  }
}
