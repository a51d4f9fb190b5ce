import { Global, Module } from '@nestjs/common';
import { OAuthAccessTokenLookup } from '../auth/oauth-access-token-lookup.js';
import { IdentityModule } from '../identity/identity.module.js';
import { SessionsCoreModule } from '../sessions/sessions-core.module.js';
import { SigningModule } from '../signing/signing.module.js';
import { AuthorizationServer } from './authorization-server.js';
import { OAuthApplications } from './oauth-applications.service.js';
import { ProviderAccessTokenLookup } from './provider-access-token-lookup.js';

/**
 * The authorization server and its state, one per app. Global, because the auth module's OAuth
 * access-token strategy resolves the OAuthAccessTokenLookup port app-wide (optionally: without
 * this module the API takes personal access tokens and sessions only).
 */
@Global()
@Module({
  imports: [IdentityModule, SigningModule, SessionsCoreModule],
  providers: [
    AuthorizationServer,
    OAuthApplications,
    ProviderAccessTokenLookup,
    { provide: OAuthAccessTokenLookup, useExisting: ProviderAccessTokenLookup },
  ],
  exports: [AuthorizationServer, OAuthApplications, ProviderAccessTokenLookup, OAuthAccessTokenLookup],
})
export class OAuthCoreModule {}
