import { type AppDeps, defineApp } from '#common';
import { AuthControlController } from './auth/auth-control.controller.js';
import { AuthModule } from './auth/auth.module.js';
import { AuthSettings } from './auth/auth-settings.js';
import { ChatModule } from './chat/chat.module.js';
import { CompletionsModule } from './completions/completions.module.js';
import { type AiGatewayConfig, aiGatewaySettings, loadAiGatewayConfig } from './config.js';
import { BrowserCors } from './cors/browser-cors.js';
import { AIGW_CLOCK, AIGW_FETCH, AIGW_MODEL_FETCH, AIGW_MODEL_POST, type Clock, type FetchFn } from './di.js';
import { modelPostOverFetch } from './completions/model-client.js';
import { PooledFetch } from './http/pooled-fetch.js';
import { LenientBodyParsing } from './http/lenient-body-parsing.js';
import { MonitoringModule } from './monitoring/monitoring.module.js';

export interface AiGatewayDeps extends AppDeps {
  /** Outbound HTTP (discovery, JWKS, OAuth back channel, and the model calls); the global fetch, and PooledFetch for the model, by default. */
  fetch?: FetchFn;
  clock?: Clock;
}

/** FastAPI's error shape for everything that is not a contract error; unknown routes say "Not Found". */
export const gatewayErrorShape = (status: number, reason: string) => ({ detail: status === 404 ? 'Not Found' : reason });

/**
 * The AI gateway emulator: verifies GitLab's AI access tokens (OIDC discovery + cached JWKS,
 * RS256, iss/aud/exp/nbf, header binding, unit-primitive scopes) and answers
 * POST /v2/code/completions and Duo Chat's POST /v1/chat/agent (streamed) from the model at
 * AIGW_MODEL_URL.
 */
export const aiGateway = defineApp<AiGatewayConfig, AiGatewayDeps>({
  name: 'ai-gateway',
  summary: 'the AI gateway emulator: verifies AI access tokens (discovery + cached JWKS) and answers POST /v2/code/completions from the model',
  config: aiGatewaySettings,
  load: loadAiGatewayConfig,
  errorShape: gatewayErrorShape,
  /**
   * Request bodies up to 4 MiB. completions-request.schema.json counts characters
   * (content_above_cursor and content_below_cursor up to 100000 each), the limit counts bytes: at
   * worst every character arrives \u-escaped, 12 bytes for one outside the BMP, so the bounded
   * members of a schema-valid request come to about 2.4 MB and must never get 413.
   */
  bodyLimitBytes: 4 * 1024 * 1024,
  imports: () => [AuthModule, CompletionsModule, ChatModule, MonitoringModule],
  providers: (_config, deps) => [
    { provide: AIGW_FETCH, useValue: deps.fetch ?? ((url: string, init: RequestInit) => fetch(url, init)) },
    // Per keystroke: the model calls go through a pooled undici client (see PooledFetch for why).
    PooledFetch,
    { provide: AIGW_MODEL_FETCH, inject: [PooledFetch], useFactory: (pooled: PooledFetch) => deps.fetch ?? pooled.fetch },
    { provide: AIGW_MODEL_POST, inject: [PooledFetch], useFactory: (pooled: PooledFetch) => (deps.fetch ? modelPostOverFetch(deps.fetch) : pooled.post) },
    { provide: AIGW_CLOCK, useValue: deps.clock ?? Date.now },
    LenientBodyParsing,
    // CORS for browser IDEs (AIGW_CORS_ALLOWED_ORIGINS); preflights are answered before the AuthGuard.
    BrowserCors,
  ],
  control: () => ({ imports: [AuthModule], controllers: [AuthControlController], resets: [AuthSettings] }),
  listening: (config) => ({ trustedIssuers: config.trustedIssuers, audience: config.audience }),
});
