import { type AppDeps, defineApp } from '#common';
import { AiAccessControlController } from './ai-access/ai-access-control.controller.js';
import { AiAccessModule } from './ai-access/ai-access.module.js';
import { AiChatModule } from './ai-chat/ai-chat.module.js';
import { AiTokenSettings } from './ai-access/ai-token-settings.service.js';
import { CableModule } from './cable/cable.module.js';
import { APP_NAME, type GitlabConfig, gitlabSettings, loadGitlabConfig } from './config.js';
import { gitlabErrorShape } from './errors.js';
import { FeatureFlagsControlController } from './feature-flags/feature-flags-control.controller.js';
import { FeatureFlagsModule } from './feature-flags/feature-flags.module.js';
import { FeatureFlagsService } from './feature-flags/feature-flags.service.js';
import { GitlabGraphqlModule } from './graphql/gitlab-graphql.module.js';
import { ProjectsModule } from './graphql/projects.module.js';
import { ProjectsService } from './graphql/projects.service.js';
import { HealthModule } from './health/health.module.js';
import { IdentityControlController } from './identity/identity-control.controller.js';
import { IdentityModule } from './identity/identity.module.js';
import { IdentityService } from './identity/identity.service.js';
import type { Clock } from './instance/di.js';
import { InstanceInfo } from './instance/instance-info.js';
import { instanceProviders } from './instance/instance-providers.js';
import { AuthorizationServer } from './oauth/authorization-server.js';
import { OAuthControlController } from './oauth/oauth-control.controller.js';
import { OAuthCoreModule } from './oauth/oauth-core.module.js';
import { OAuthModule } from './oauth/oauth.module.js';
import { OidcControlController } from './oidc/oidc-control.controller.js';
import { OidcModule } from './oidc/oidc.module.js';
import { RelayControlController } from './relay/relay-control.controller.js';
import { RelayModule } from './relay/relay.module.js';
import { SaasTokenRelay } from './relay/saas-token-relay.service.js';
import { SessionsCoreModule } from './sessions/sessions-core.module.js';
import { SessionsModule } from './sessions/sessions.module.js';
import { SessionsService } from './sessions/sessions.service.js';
import { InstanceSettings } from './settings/instance-settings.service.js';
import { SettingsControlController } from './settings/settings-control.controller.js';
import { SettingsCoreModule } from './settings/settings-core.module.js';
import { SettingsModule } from './settings/settings.module.js';
import { SigningControlController } from './signing/signing-control.controller.js';
import { SigningModule } from './signing/signing.module.js';
import { UsersModule } from './users/users.module.js';
import { WebIdeModule } from './web-ide/web-ide.module.js';

export interface GitlabDeps extends AppDeps {
  clock?: Clock;
}

/**
 * The emulated GitLab, one codebase for both deployments (`--mode saas | self-managed`):
 * identity, personal access tokens, browser sessions, OIDC discovery + JWKS, POST
 * /api/v4/code_suggestions/tokens (minted on SaaS, relayed to SAAS_URL with the stored service
 * access token on self-managed, seed 001), the admin API GET/PUT /api/v4/application/settings,
 * and GitLab's OAuth 2.0 authorization server at /oauth/* (issue 8, apps/gitlab/src/oauth).
 */
export const gitlab = defineApp<GitlabConfig, GitlabDeps>({
  name: APP_NAME,
  summary: 'the emulated GitLab (SaaS or self-managed): identity, OIDC discovery + JWKS, POST /api/v4/code_suggestions/tokens (minted, or relayed to SaaS)',
  config: gitlabSettings,
  load: loadGitlabConfig,
  errorShape: gitlabErrorShape,
  /** Largest request body GitLab's API accepts here; above it Fastify answers 413. */
  bodyLimitBytes: 1024 * 1024,
  imports: (config) => [
    IdentityModule,
    FeatureFlagsModule,
    SigningModule,
    SessionsModule,
    OidcModule,
    // GitLab's OAuth authorization server (issue 8): /oauth/*, its pages and the applications API.
    OAuthModule,
    AiAccessModule,
    // Duo Chat's calls to the AI gateway (POST <AI_GATEWAY_URL>/v1/chat/agent), GraphQL aiAction's AiChat (issue 9).
    AiChatModule,
    UsersModule,
    // The Web IDE (seed 000): the host page, the editor frame and the IDE controller (option 3).
    WebIdeModule,
    // GitLab's GraphQL API at /api/graphql with scopes declared on the schema (seed 004, issue 9).
    GitlabGraphqlModule,
    // ActionCable at /-/cable: GraphqlChannel subscriptions over WebSocket (seed 004, issue 9).
    CableModule,
    // The admin API exists in both modes, as in GitLab; only self-managed reads the settings.
    SettingsModule,
    HealthModule,
    // Only a self-managed instance relays (seed 001); SaaS mints its tokens itself.
    ...(config.mode === 'self-managed' ? [RelayModule] : []),
  ],
  providers: (config, deps) => instanceProviders(config, deps.clock),
  control: (config) => ({
    imports: [IdentityModule, FeatureFlagsModule, SigningModule, AiAccessModule, SessionsCoreModule, SettingsCoreModule, OidcModule, OAuthCoreModule, ProjectsModule],
    controllers: [
      AiAccessControlController,
      SigningControlController,
      FeatureFlagsControlController,
      IdentityControlController,
      SettingsControlController,
      RelayControlController,
      OidcControlController,
      OAuthControlController,
    ],
    // Fixture state (tokens, groups, application settings), flags, issuer and relay settings,
    // sessions, the OAuth server's state (tokens, grants, applications back to the fixture's) and
    // the projects' issues back to start; signing keys and OIDC availability stay.
    resets: [...(config.mode === 'self-managed' ? [SaasTokenRelay] : []), IdentityService, FeatureFlagsService, AiTokenSettings, InstanceSettings, SessionsService, AuthorizationServer, ProjectsService],
  }),
  // PORT=0 is only known after listen: without GITLAB_URL, the bound URL is the instance URL (the issuer).
  afterListen: (app, url) => app.get(InstanceInfo).bindListeningUrl(url),
  listening: (config, app) => ({ issuer: app.get(InstanceInfo).url, mode: config.mode }),
});
