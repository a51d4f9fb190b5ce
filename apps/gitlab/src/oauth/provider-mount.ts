import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { OAUTH_PATH, type OAuthRegistrationMode } from '#contracts';
import { APP_LOGGER, type Logger } from '#common';
import { AuthorizationServer } from './authorization-server.js';

const ENGINE_PATHS: ReadonlySet<string> = new Set([
  OAUTH_PATH.AUTHORIZE,
  OAUTH_PATH.TOKEN,
  OAUTH_PATH.REVOKE,
  OAUTH_PATH.INTROSPECT,
  OAUTH_PATH.USERINFO,
  OAUTH_PATH.REGISTER,
  OAUTH_PATH.END_SESSION_CONFIRM,
]);
/** `/oauth/authorize/{uid}` (resume after an interaction) and `/oauth/register/{client_id}` (RFC 7592). */
const ENGINE_SUBPATHS = [`${OAUTH_PATH.AUTHORIZE}/`, `${OAUTH_PATH.REGISTER}/`];

/**
 * Whether a request is oidc-provider's. Everything else stays with Nest: /oauth/token/info, the
 * JWKS and the discovery documents (GitLab's own documents, oidc/oidc.controller.ts), the
 * interaction pages, and in `gitlab` registration mode POST /oauth/register (GitLab's own
 * controller, gitlab-registration.controller.ts).
 */
export function handledByEngine(method: string, path: string, mode: OAuthRegistrationMode): boolean {
  if (mode === 'gitlab' && path === OAUTH_PATH.REGISTER && method === 'POST') return false;
  if (ENGINE_PATHS.has(path)) return true;
  return ENGINE_SUBPATHS.some((prefix) => path.startsWith(prefix) && path.length > prefix.length && !path.slice(prefix.length).includes('/'));
}

/**
 * Mounts the authorization server at GitLab's paths: a Fastify onRequest hook, added while Nest
 * initialises, hands the engine's paths to oidc-provider's callback with the reply hijacked.
 * onRequest runs before body parsing, so the engine reads the untouched body itself (a Nest
 * route would get it consumed: /oauth/token would answer "missing required parameter
 * 'grant_type'"); Fastify's onResponse hooks (the request log) still run for hijacked replies.
 */
@Injectable()
export class ProviderMount implements OnModuleInit {
  constructor(
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(AuthorizationServer) private readonly server: AuthorizationServer,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onRequest', (req, reply, done) => {
      if (!handledByEngine(req.method, req.url.split('?', 1)[0]!, this.server.registrationMode)) {
        done();
        return;
      }
      // Fastify sends nothing for this request and runs no further hooks or handlers (done is
      // never called); its onResponse hooks still run.
      reply.hijack();
      this.server.handle(req.raw, reply.raw).catch((e: unknown) => {
        // Only a failure to build the engine gets here (the engine answers its own errors).
        this.logger.error({ component: 'oauth', error: (e as Error).message }, 'authorization server unavailable');
        if (reply.raw.headersSent) return;
        reply.raw.writeHead(503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        reply.raw.end(JSON.stringify({ error: 'temporarily_unavailable', error_description: 'the authorization server could not start' }));
      });
    });
  }
}
