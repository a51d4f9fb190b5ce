/**
 * Koa middleware around oidc-provider's routes for what GitLab answers differently from the
 * engine: Doorkeeper's `created_at` in token responses, and GitLab's dynamic registration.
 */
import type { IncomingMessage } from 'node:http';
import {
  GITLAB_DYNAMIC_APPLICATION_NAME_PREFIX,
  GITLAB_DYNAMIC_CLIENT_SCOPE,
  type GitlabDynamicRegistration,
  OAUTH_PATH,
} from '#contracts';
import type { KoaMiddleware } from './oidc-provider-api.js';
import { GITLAB_CLIENT_METADATA } from './provider-configuration.js';

/** oidc-provider's own body limit (shared/selective_body.js), kept for the body read here. */
const BODY_LIMIT_BYTES = 56 * 1024;

/** Doorkeeper's token response also says `created_at` (epoch seconds, Doorkeeper::OAuth::TokenResponse#body). */
export const doorkeeperTokenResponse: KoaMiddleware = async (ctx, next) => {
  await next();
  if (ctx.oidc?.route === 'token' && ctx.status === 200 && ctx.body && typeof ctx.body === 'object') {
    (ctx.body as Record<string, unknown>).created_at = Math.floor(Date.now() / 1000);
  }
};

/**
 * GitLab's POST /oauth/register (Oauth::DynamicRegistrationsController) around oidc-provider's
 * registration route: only `redirect_uris` and `client_name` are read; the client is public
 * (token_endpoint_auth_method none, PKCE), scope `mcp`, named with GitLab's "[Unverified
 * Dynamic Application]" prefix, with no registration access token; the 201 answer is rewritten
 * to GitLab's shape. The engine still validates the metadata (a missing redirect_uris is 400
 * invalid_redirect_uri).
 */
export const gitlabDynamicRegistration: KoaMiddleware = async (ctx, next) => {
  const isRegister = ctx.method === 'POST' && ctx.path === OAUTH_PATH.REGISTER;
  if (!isRegister) return next();
  if (ctx.is('application/json')) {
    let body: unknown;
    try {
      body = JSON.parse((await readBody(ctx.req)) || '{}');
    } catch {
      ctx.status = 400;
      ctx.body = { error: 'invalid_client_metadata', error_description: 'the request body must be a JSON object of client metadata' };
      return;
    }
    const given = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    const name = typeof given.client_name === 'string' ? given.client_name : 'Dynamic application';
    // oidc-provider's documented fallback for a body read upstream (shared/selective_body.js).
    (ctx.req as IncomingMessage & { body?: unknown }).body = {
      redirect_uris: given.redirect_uris,
      client_name: `${GITLAB_DYNAMIC_APPLICATION_NAME_PREFIX}${name}`,
      token_endpoint_auth_method: 'none',
      // Stored with refresh_token so the client can refresh; GitLab's answer says authorization_code only.
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      scope: GITLAB_DYNAMIC_CLIENT_SCOPE,
      [GITLAB_CLIENT_METADATA.DYNAMIC]: true,
    };
  }
  await next();
  if (ctx.status === 201 && ctx.body && typeof ctx.body === 'object') {
    const m = ctx.body as Record<string, unknown>;
    const answer: GitlabDynamicRegistration = {
      client_id: String(m.client_id),
      client_id_issued_at: Number(m.client_id_issued_at),
      redirect_uris: m.redirect_uris as string[],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      require_pkce: true,
      client_name: String(m.client_name),
      scope: String(m.scope),
      dynamic: true,
    };
    ctx.body = answer;
  }
};

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > BODY_LIMIT_BYTES) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
