import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { FeatureFlagsModule } from '../feature-flags/feature-flags.module.js';
import { FeatureFlagsService } from '../feature-flags/feature-flags.service.js';
import { IdentityModule } from '../identity/identity.module.js';
import { IdentityService } from '../identity/identity.service.js';
import { RelayModule } from '../relay/relay.module.js';
import { InstanceInfo } from '../instance/instance-info.js';
import { CLOCK, type Clock, GITLAB_CONFIG } from '../instance/tokens.js';
import { SigningModule } from '../signing/signing.module.js';
import { SigningKeys } from '../signing/signing-keys.service.js';
import type { GitlabConfig } from '../config.js';
import { AccessTokenFactory } from './access-token.factory.js';
import { AiTokenSettings } from './ai-token-settings.service.js';
import { CodeSuggestionsTokensController } from './code-suggestions-tokens.controller.js';
import { SaasTokenIssuer } from './saas-token-issuer.service.js';

/** AI access tokens: the issuer settings, the JWT factory and the token endpoint (minted on SaaS, relayed on self-managed). */
@Module({
  imports: [IdentityModule, FeatureFlagsModule, SigningModule, AuthModule, RelayModule],
  controllers: [CodeSuggestionsTokensController],
  providers: [
    { provide: AiTokenSettings, useFactory: (config: GitlabConfig) => new AiTokenSettings(config.aiToken), inject: [GITLAB_CONFIG] },
    {
      provide: AccessTokenFactory,
      useFactory: (instance: InstanceInfo, settings: AiTokenSettings, keys: SigningKeys, clock: Clock) =>
        new AccessTokenFactory(instance, settings, keys, clock),
      inject: [InstanceInfo, AiTokenSettings, SigningKeys, CLOCK],
    },
    {
      provide: SaasTokenIssuer,
      useFactory: (identity: IdentityService, flags: FeatureFlagsService, factory: AccessTokenFactory) =>
        new SaasTokenIssuer(identity, flags, factory),
      inject: [IdentityService, FeatureFlagsService, AccessTokenFactory],
    },
  ],
  exports: [AiTokenSettings, AccessTokenFactory],
})
export class AiAccessModule {}
