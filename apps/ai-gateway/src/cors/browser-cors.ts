import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { APP_CONFIG } from '#common';
import type { AiGatewayConfig } from '../config.js';
import { corsDecision, type CorsPolicy } from './cors-policy.js';

/**
 * Applies the CORS policy (cors-policy.ts) to every request, in an onRequest hook: preflights
 * are answered before routing and before the global AuthGuard (a preflight carries no token),
 * and actual requests get their CORS headers whatever answers them (the completion, a 401, a
 * 422). Installed only when AIGW_CORS_ALLOWED_ORIGINS names an origin: otherwise the gateway
 * answers as if CORS did not exist (no headers, OPTIONS -> 404/405 as before).
 */
@Injectable()
export class BrowserCors implements OnModuleInit {
  constructor(
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(APP_CONFIG) private readonly config: Pick<AiGatewayConfig, 'corsAllowedOrigins'>,
  ) {}

  onModuleInit(): void {
    if (this.config.corsAllowedOrigins.length === 0) return;
    const policy: CorsPolicy = { allowedOrigins: this.config.corsAllowedOrigins };
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onRequest', async (req, reply): Promise<FastifyReply | undefined> => {
      const single = (name: string) => {
        const v = req.headers[name];
        return Array.isArray(v) ? v[0] : v;
      };
      const decision = corsDecision(policy, {
        method: req.method,
        origin: single('origin'),
        requestMethod: single('access-control-request-method'),
        requestHeaders: single('access-control-request-headers'),
      });
      if (decision.kind === 'pass') return undefined;
      void reply.headers(decision.headers);
      if (decision.kind === 'simple') return undefined;
      return reply.code(decision.status).type('text/plain; charset=utf-8').send(decision.body);
    });
  }
}
