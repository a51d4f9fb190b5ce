import { Inject, Module, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { APP_CONFIG, APP_LOGGER, type Logger } from '#common';
import type { AiGatewayConfig } from '../config.js';
import { AIGW_CLOCK, AIGW_FETCH, type Clock, type FetchFn } from '../di.js';
import { AuthGuard } from './auth.guard.js';
import { AuthSettings } from './auth-settings.js';
import { JwksCache } from './jwks-cache.js';
import { TokenVerifier } from './token-verifier.js';

/** Token verification for every route not marked @PublicRoute() (APP_GUARD, so tests get it too). */
@Module({
  providers: [
    AuthSettings,
    {
      provide: JwksCache,
      inject: [APP_CONFIG, AIGW_FETCH, AIGW_CLOCK, APP_LOGGER],
      useFactory: (config: AiGatewayConfig, fetch: FetchFn, clock: Clock, logger: Logger) =>
        new JwksCache({
          issuers: config.trustedIssuers,
          allowedAlgorithms: config.algorithms,
          ttlSeconds: config.jwksTtlSeconds,
          refetchIntervalMs: config.jwksRefetchIntervalMs,
          negativeCacheSeconds: config.jwksNegativeCacheSeconds,
          coldRetryMs: config.jwksColdRetryMs,
          errorBackoffSeconds: config.jwksErrorBackoffSeconds,
          staleIfErrorSeconds: config.jwksStaleIfErrorSeconds,
          fetchTimeoutMs: config.jwksFetchTimeoutMs,
          maxDocumentBytes: config.jwksMaxBytes,
          fetch,
          clock,
          logger,
        }),
    },
    {
      provide: TokenVerifier,
      inject: [AuthSettings, JwksCache, AIGW_CLOCK],
      useFactory: (settings: AuthSettings, cache: JwksCache, clock: Clock) => new TokenVerifier(settings, cache, clock),
    },
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [AuthSettings, JwksCache, TokenVerifier],
})
export class AuthModule implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(@Inject(JwksCache) private readonly cache: JwksCache) {}

  /** Warms the key cache without delaying start-up; failures are logged and retried on demand. */
  onApplicationBootstrap(): void {
    void this.cache.ensureLoaded();
  }

  onModuleDestroy(): void {
    this.cache.close();
  }
}
