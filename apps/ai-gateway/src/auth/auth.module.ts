import { Inject, Module, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { APP_CONFIG, APP_LOGGER, type Logger } from '#common';
import { oauthGitlabUrlOf, type AiGatewayConfig } from '../config.js';
import { AIGW_CLOCK, AIGW_FETCH, type Clock, type FetchFn } from '../di.js';
import { AuthGuard } from './auth.guard.js';
import { AiAccessTokenStrategy, AiAccessTokenStrategyName, PassportAuthGuard } from './passport-auth.guard.js';
import { AuthSettings } from './auth-settings.js';
import { BenchmarkBypassGuard } from './benchmark-bypass.guard.js';
import { JwksCache, jwksCacheOptions } from './jwks-cache.js';
import { KeystrokeAuthHook } from './keystroke-auth.hook.js';
import { OAuthTokenIntrospection } from './oauth-token-introspection.js';
import { OAuthTokenVerifier } from './oauth-token-verifier.js';
import { TokenVerifier } from './token-verifier.js';

/** Token verification for every route not marked @PublicRoute() (APP_GUARD, so tests get it too). */
@Module({
  imports: [DiscoveryModule],
  providers: [
    AuthSettings,
    KeystrokeAuthHook,
    {
      provide: JwksCache,
      inject: [APP_CONFIG, AIGW_FETCH, AIGW_CLOCK, APP_LOGGER],
      useFactory: (config: AiGatewayConfig, fetch: FetchFn, clock: Clock, logger: Logger) =>
        new JwksCache(jwksCacheOptions(config, { fetch, clock, logger })),
    },
    {
      provide: TokenVerifier,
      inject: [AuthSettings, JwksCache, AIGW_CLOCK, APP_CONFIG],
      useFactory: (settings: AuthSettings, cache: JwksCache, clock: Clock, config: AiGatewayConfig) =>
        new TokenVerifier(settings, cache, clock, config.verifiedTokenCacheEntries),
    },
    {
      // Seed 000 option 1; null while AIGW_OAUTH_TOKEN_VERIFICATION is off (oauth2 is then an unknown type).
      provide: OAuthTokenVerifier,
      inject: [APP_CONFIG, AIGW_FETCH, AIGW_CLOCK, APP_LOGGER],
      useFactory: (config: AiGatewayConfig, fetch: FetchFn, clock: Clock, logger: Logger) =>
        config.oauthTokenVerification === 'off'
          ? null
          : new OAuthTokenVerifier({
              introspection: new OAuthTokenIntrospection({
                mode: config.oauthTokenVerification,
                gitlabUrl: oauthGitlabUrlOf(config)!,
                clientId: config.oauthClientId,
                clientSecret: config.oauthClientSecret,
                timeoutMs: config.oauthTimeoutMs,
                maxBytes: config.oauthMaxBytes,
                fetch,
                clock,
              }),
              cacheSeconds: config.oauthCacheSeconds,
              negativeCacheSeconds: config.oauthNegativeCacheSeconds,
              maxEntries: config.oauthCacheMaxEntries,
              lookupsPerSecond: config.oauthLookupsPerSecond,
              clock,
              logger,
            }),
    },
    AuthGuard,
    AiAccessTokenStrategyName,
    AiAccessTokenStrategy,
    PassportAuthGuard,
    {
      // AIGW_AUTH_GUARD: the same checks wired directly or through passport, or none (loopback
      // benchmark only); npm run bench measures each.
      provide: APP_GUARD,
      inject: [APP_CONFIG, AuthGuard, PassportAuthGuard],
      useFactory: (config: AiGatewayConfig, direct: AuthGuard, passport: PassportAuthGuard) =>
        config.authGuard === 'passport' ? passport : config.authGuard === 'benchmark-bypass' ? new BenchmarkBypassGuard() : direct,
    },
  ],
  exports: [AuthSettings, JwksCache, TokenVerifier, OAuthTokenVerifier],
})
export class AuthModule implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(
    @Inject(JwksCache) private readonly cache: JwksCache,
    @Inject(OAuthTokenVerifier) private readonly oauth: OAuthTokenVerifier | null,
  ) {}

  /** Warms the key cache without delaying start-up; failures are logged and retried on demand. */
  onApplicationBootstrap(): void {
    void this.cache.ensureLoaded();
  }

  onModuleDestroy(): void {
    this.cache.close();
    this.oauth?.close();
  }
}
