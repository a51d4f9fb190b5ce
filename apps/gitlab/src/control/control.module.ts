import { type DynamicModule, Module } from '@nestjs/common';
import { HARNESS_CONTROL_TOKEN, HarnessControlGuard } from '../../../common/src/index.js';
import { AccessTokenFactory } from '../ai-access/access-token.factory.js';
import { AiAccessModule } from '../ai-access/ai-access.module.js';
import { AiTokenSettings } from '../ai-access/ai-token-settings.service.js';
import { FeatureFlagsModule } from '../feature-flags/feature-flags.module.js';
import { FeatureFlagsService } from '../feature-flags/feature-flags.service.js';
import { IdentityModule } from '../identity/identity.module.js';
import { IdentityService } from '../identity/identity.service.js';
import { InstanceInfo } from '../instance/instance-info.js';
import { SessionsCoreModule } from '../sessions/sessions-core.module.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { InstanceSettings } from '../settings/instance-settings.service.js';
import { SettingsCoreModule } from '../settings/settings-core.module.js';
import { RELAY_CLIENT, RelayModule } from '../relay/relay.module.js';
import type { SaasRelayClient } from '../relay/saas-relay-client.js';
import { SigningModule } from '../signing/signing.module.js';
import { SigningKeys } from '../signing/signing-keys.service.js';
import { OidcModule } from '../oidc/oidc.module.js';
import { ControlController } from './control.controller.js';
import { OidcControlController } from './oidc-control.controller.js';
import { ControlService } from './control.service.js';

/** The harness control API; GitlabModule imports it only when HARNESS_CONTROL_TOKEN is set. */
@Module({})
export class ControlModule {
  static forRoot(controlToken: string): DynamicModule {
    return {
      module: ControlModule,
      imports: [IdentityModule, FeatureFlagsModule, SigningModule, AiAccessModule, SessionsCoreModule, SettingsCoreModule, RelayModule, OidcModule],
      controllers: [ControlController, OidcControlController],
      providers: [
        { provide: HARNESS_CONTROL_TOKEN, useValue: controlToken },
        HarnessControlGuard,
        {
          provide: ControlService,
          useFactory: (
            instance: InstanceInfo,
            identity: IdentityService,
            flags: FeatureFlagsService,
            settings: AiTokenSettings,
            keys: SigningKeys,
            factory: AccessTokenFactory,
            sessions: SessionsService,
            instanceSettings: InstanceSettings,
            relay: SaasRelayClient | null,
          ) => new ControlService(instance, identity, flags, settings, keys, factory, sessions, instanceSettings, relay),
          inject: [
            InstanceInfo,
            IdentityService,
            FeatureFlagsService,
            AiTokenSettings,
            SigningKeys,
            AccessTokenFactory,
            SessionsService,
            InstanceSettings,
            RELAY_CLIENT,
          ],
        },
      ],
    };
  }
}
