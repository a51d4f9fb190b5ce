import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import {
  AUTHENTICATION_TYPE_OIDC,
  GATEWAY_AUTH_ERROR,
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
import { TokenVerifier, type VerifiedToken } from './token-verifier.js';

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
}

const unauthorized = (error: string) => new ContractHttpException({ error }, 401);

/**
 * Token authentication in the order of ai_gateway's MiddlewareAuthentication
 * (`cloud_connector/auth.py` L33-76 @823ced4678f5): header present, Bearer syntax,
 * authentication type oidc, token verification, header binding; then the route's unit
 * primitive (403). Contract bodies only; the reason for a refused token goes to the log
 * (reason, kid, iss), the token itself never does.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(TokenVerifier) private readonly verifier: TokenVerifier,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = await this.authenticate(request);
    const primitive = this.reflector.get(RequiresUnitPrimitive, context.getHandler());
    if (primitive !== undefined && !token.scopes.includes(primitive)) {
      this.logger.info({ auth: { reason: 'missing-unit-primitive', primitive, kid: token.kid, iss: token.issuer } }, 'request forbidden');
      throw new ContractHttpException({ detail: unitPrimitiveForbiddenDetail(primitive) }, 403);
    }
    request.aiAccessToken = token;
    return true;
  }

  private async authenticate(request: FastifyRequest): Promise<VerifiedToken> {
    const headers = request.headers;
    const bearer = bearerCredentials(headers[AUTHORIZATION], request.raw.rawHeaders);
    if (bearer === NO_CREDENTIALS) throw unauthorized(GATEWAY_AUTH_ERROR.NO_HEADER);
    if (bearer === INVALID_CREDENTIALS) throw unauthorized(GATEWAY_AUTH_ERROR.INVALID_HEADER);
    if (headers[AUTHENTICATION_TYPE] !== AUTHENTICATION_TYPE_OIDC) throw unauthorized(GATEWAY_AUTH_ERROR.INVALID_TYPE);

    const result = await this.verify(bearer);
    if (!result.ok) {
      this.logger.info({ auth: { reason: result.reason, detail: result.detail, kid: result.kid, iss: result.iss } }, 'token rejected');
      throw unauthorized(GATEWAY_AUTH_ERROR.FORBIDDEN);
    }
    const mismatch = this.boundHeaderMismatch(result, headers);
    if (mismatch !== undefined) {
      this.logger.info({ auth: { reason: 'header-mismatch', header: mismatch, kid: result.kid, iss: result.issuer } }, 'token rejected');
      throw unauthorized(headerMismatchError(mismatch));
    }
    return result;
  }

  /** The verifier never throws by contract; should it, the keystroke still gets a 401, never a 500. */
  private async verify(token: string) {
    try {
      return await this.verifier.verify(token);
    } catch (e) {
      this.logger.error({ auth: { reason: 'verifier-error', error: e instanceof Error ? e.name : typeof e } }, 'token verification failed unexpectedly');
      return { ok: false as const, reason: 'malformed' as const, detail: 'verifier error' };
    }
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
