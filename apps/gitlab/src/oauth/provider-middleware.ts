/** Koa middleware around oidc-provider's routes, for what GitLab answers differently from the engine. */
import { OAUTH_TOKEN } from '#contracts';
import type { KoaMiddleware } from './oidc-provider-api.js';

/**
 * Doorkeeper's token response (Doorkeeper::OAuth::TokenResponse#body): `expires_in` is the
 * token's lifetime as configured (GitLab's 7200 s), not what oidc-provider computes as remaining
 * at answer time (7199 across a second boundary), and `created_at` (epoch seconds) is added.
 */
export const doorkeeperTokenResponse: KoaMiddleware = async (ctx, next) => {
  await next();
  if (ctx.oidc?.route === 'token' && ctx.status === 200 && ctx.body && typeof ctx.body === 'object') {
    const body = ctx.body as Record<string, unknown>;
    if (typeof body.expires_in === 'number') body.expires_in = OAUTH_TOKEN.ACCESS_TOKEN_TTL_SECONDS;
    body.created_at = Math.floor(Date.now() / 1000);
  }
};

/** oidc-provider's description when a client uses a grant type it was not registered for (actions/token.js). */
const GRANT_TYPE_NOT_ALLOWED = 'requested grant type is not allowed for this client';

/**
 * RFC 6749 §5.2 names that case `unauthorized_client`; oidc-provider answers `invalid_request`
 * (actions/token.js, allowedGrantTypeCheck). The error is renamed, status 400 kept.
 */
export const unauthorizedClientError: KoaMiddleware = async (ctx, next) => {
  await next();
  const body = ctx.body as { error?: string; error_description?: string } | undefined;
  if (ctx.oidc?.route === 'token' && ctx.status === 400 && body?.error === 'invalid_request' && body.error_description === GRANT_TYPE_NOT_ALLOWED) {
    body.error = 'unauthorized_client';
  }
};
