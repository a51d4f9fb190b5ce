import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import {
  AUTHENTICATION_TYPE_OIDC,
  GATEWAY_AUTH_ERROR,
  HEADER,
  HEADER_BOUND_CLAIMS,
  headerMismatchError,
} from '../../../../contracts/src/index.js';
import { ContractHttpException, type Logger } from '../../../common/src/index.js';
import { AIGW_LOGGER } from '../tokens.js';
import { PUBLIC_ROUTE, RequiresUnitPrimitive, unitPrimitiveForbiddenDetail } from './auth.decorators.js';
import { TokenVerifier, type VerifiedToken } from './token-verifier.js';

/** RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token, with exactly one space as the gateway sends it. */
const BEARER = /^bearer ([A-Za-z0-9\-._~+/]+=*)$/i;

const AUTHORIZATION = HEADER.AUTHORIZATION.toLowerCase();
const AUTHENTICATION_TYPE = HEADER.AUTHENTICATION_TYPE.toLowerCase();
const BOUND = HEADER_BOUND_CLAIMS.map(({ claim, header }) => ({ claim, header, name: header.toLowerCase() }));

/** The request property holding the verified token for handlers. */
export interface AuthenticatedRequest extends FastifyRequest {
  aiAccessToken?: VerifiedToken;
}

const unauthorized = (error: string) => new ContractHttpException({ error }, 401);

/**
 * Token authentication in the order of ai_gateway's MiddlewareAuthentication: header present,
 * Bearer syntax, authentication type oidc, token verification, header binding; then the
 * route's unit primitive. Contract bodies only; the reason for a refused token goes to the
 * log (reason, kid, iss), the token itself never does.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(TokenVerifier) private readonly verifier: TokenVerifier,
    @Inject(AIGW_LOGGER) private readonly logger: Logger,
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
    const authorization = headers[AUTHORIZATION];
    if (authorization === undefined) throw unauthorized(GATEWAY_AUTH_ERROR.NO_HEADER);
    const bearer = typeof authorization === 'string' ? BEARER.exec(authorization) : null;
    if (!bearer) throw unauthorized(GATEWAY_AUTH_ERROR.INVALID_HEADER);
    if (headers[AUTHENTICATION_TYPE] !== AUTHENTICATION_TYPE_OIDC) throw unauthorized(GATEWAY_AUTH_ERROR.INVALID_TYPE);

    const result = await this.verifier.verify(bearer[1]!);
    if (!result.ok) {
      this.logger.info({ auth: { reason: result.reason, detail: result.detail, kid: result.kid, iss: result.iss } }, 'token rejected');
      throw unauthorized(GATEWAY_AUTH_ERROR.FORBIDDEN);
    }
    for (const { claim, header, name } of BOUND) {
      const value = result.claims[claim];
      if (value === undefined) continue;
      if (typeof value !== 'string' || headers[name] !== value) {
        this.logger.info({ auth: { reason: 'header-mismatch', header, kid: result.kid, iss: result.issuer } }, 'token rejected');
        throw unauthorized(headerMismatchError(header));
      }
    }
    return result;
  }
}
