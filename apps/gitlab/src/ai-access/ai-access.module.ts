import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { FeatureFlagsModule } from '../feature-flags/feature-flags.module.js';
import { IdentityModule } from '../identity/identity.module.js';
import { SigningModule } from '../signing/signing.module.js';
import { AccessTokenFactory } from './access-token.factory.js';
import { AiTokenSettings } from './ai-token-settings.service.js';
import { CodeSuggestionsTokensController } from './code-suggestions-tokens.controller.js';
import { SaasTokenIssuer } from './saas-token-issuer.service.js';

/** AI access tokens: the issuer settings, the JWT factory and the token endpoint (minted on SaaS, relayed on self-managed). */
@Module({
  imports: [IdentityModule, FeatureFlagsModule, SigningModule, AuthModule],
  controllers: [CodeSuggestionsTokensController],
  providers: [AiTokenSettings, AccessTokenFactory, SaasTokenIssuer],
  exports: [AiTokenSettings, AccessTokenFactory],
})
export class AiAccessModule {}
