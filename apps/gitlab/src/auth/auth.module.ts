import { Module } from '@nestjs/common';
import { IdentityModule } from '../identity/identity.module.js';
import { SessionsCoreModule } from '../sessions/sessions-core.module.js';
import { AdminGuard } from './admin.guard.js';
import { ApiGuard } from './api.guard.js';
import { PasswordSignInGuard } from './password-sign-in.guard.js';
import { OAuthAccessTokenStrategy } from './strategies/oauth-access-token.strategy.js';
import { PasswordStrategy } from './strategies/password.strategy.js';
import { PersonalAccessTokenStrategy } from './strategies/personal-access-token.strategy.js';
import { SessionStrategy } from './strategies/session.strategy.js';
import { StrategyNames } from './strategy-names.js';

/**
 * Credentials on @nestjs/passport: one strategy per credential (OAuth access token, personal
 * access token, browser session, password), each instantiated and registered once per app
 * instance; ApiGuard (+ AdminGuard) for REST API controllers, PasswordSignInGuard for the
 * sign-in form. The OAuth strategy uses OAuthAccessTokenLookup when a module in scope provides
 * it (the oauth module), and is skipped otherwise.
 */
@Module({
  imports: [IdentityModule, SessionsCoreModule],
  providers: [
    StrategyNames,
    OAuthAccessTokenStrategy,
    PersonalAccessTokenStrategy,
    SessionStrategy,
    PasswordStrategy,
    ApiGuard,
    AdminGuard,
    PasswordSignInGuard,
  ],
  // The guards are instantiated in the modules of the controllers that use them, from these exports.
  // The credential strategies are exported for transports that authenticate outside a route
  // guard (the ActionCable connection at /-/cable, apps/gitlab/src/cable).
  exports: [StrategyNames, ApiGuard, AdminGuard, PasswordSignInGuard, OAuthAccessTokenStrategy, PersonalAccessTokenStrategy, SessionStrategy],
})
export class AuthModule {}
