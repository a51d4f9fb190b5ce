import { type DynamicModule, Module } from '@nestjs/common';
import { errorHandlingProviders } from '../../common/src/index.js';
import { AiAccessModule } from './ai-access/ai-access.module.js';
import type { GitlabConfig } from './config.js';
import { ControlModule } from './control/control.module.js';
import { gitlabErrorShape } from './errors.js';
import { FeatureFlagsModule } from './feature-flags/feature-flags.module.js';
import { HealthModule } from './health/health.module.js';
import { IdentityModule } from './identity/identity.module.js';
import { CoreModule, type GitlabDeps } from './instance/core.module.js';
import { LOGGER } from './instance/tokens.js';
import { OidcModule } from './oidc/oidc.module.js';
import { SessionsModule } from './sessions/sessions.module.js';
import { SettingsModule } from './settings/settings.module.js';
import { SigningModule } from './signing/signing.module.js';
import { UsersModule } from './users/users.module.js';

/**
 * The emulated GitLab, one codebase for both deployments (`--mode saas | self-managed`).
 * Built from a config object and its dependencies, so tests need no environment.
 */
@Module({})
export class GitlabModule {
  static forRoot(config: GitlabConfig, deps: GitlabDeps): DynamicModule {
    return {
      module: GitlabModule,
      imports: [
        CoreModule.forRoot(config, deps),
        IdentityModule,
        FeatureFlagsModule,
        SigningModule,
        SessionsModule,
        OidcModule,
        AiAccessModule,
        UsersModule,
        // The admin API exists in both modes, as in GitLab; only self-managed reads the settings.
        SettingsModule,
        HealthModule,
        // Not registered at all without the token: the routes answer 404 like any unknown path.
        ...(config.controlToken ? [ControlModule.forRoot(config.controlToken)] : []),
      ],
      providers: errorHandlingProviders(gitlabErrorShape, LOGGER),
    };
  }
}
