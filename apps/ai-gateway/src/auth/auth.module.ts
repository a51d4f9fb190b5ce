import { Inject, Module, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { Logger } from '../../../common/src/index.js';
import type { AiGatewayConfig } from '../config.js';
import { AIGW_CLOCK, AIGW_CONFIG, AIGW_FETCH, AIGW_LOGGER, type Clock, type FetchFn } from '../tokens.js';
import { AuthGuard } from './auth.guard.js';
import { AuthSettings } from './auth-settings.js';
import { JwksCache } from './jwks-cache.js';
import { TokenVerifier } from './token-verifier.js';

/** Token verification for every route not marked @PublicRoute() (APP_GUARD, so tests get it too). */
@Module({
  providers: [
    { provide: AuthSettings, inject: [AIGW_CONFIG], useFactory: (config: AiGatewayConfig) => AuthSettings.fromConfig(config) },
    {
      provide: JwksCache,
      inject: [AIGW_CONFIG, AIGW_FETCH, AIGW_CLOCK, AIGW_LOGGER],
      useFactory: (config: AiGatewayConfig, fetch: FetchFn, clock: Clock, logger: Logger) =>
        new JwksCache({
          issuers: config.AIGW_TRUSTED_ISSUERS,
          allowedAlgorithms: config.AIGW_ALGORITHMS,
          ttlSeconds: config.AIGW_JWKS_TTL_SECONDS,
          refetchIntervalMs: config.AIGW_JWKS_REFETCH_INTERVAL_MS,
          negativeCacheSeconds: config.AIGW_JWKS_NEGATIVE_CACHE_SECONDS,
          coldRetryMs: config.AIGW_JWKS_COLD_RETRY_MS,
          errorBackoffSeconds: config.AIGW_JWKS_ERROR_BACKOFF_SECONDS,
          staleIfErrorSeconds: config.AIGW_JWKS_STALE_IF_ERROR_SECONDS,
          fetchTimeoutMs: config.AIGW_JWKS_FETCH_TIMEOUT_MS,
          maxDocumentBytes: config.AIGW_JWKS_MAX_BYTES,
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
