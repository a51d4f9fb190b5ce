import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { IdentityModule } from '../identity/identity.module.js';
import { SessionsCoreModule } from '../sessions/sessions-core.module.js';
import { WebSession } from '../web-ide/web-session.js';
import { ApplicationsController } from './applications.controller.js';
import { GitlabRegistrationController } from './gitlab-registration.controller.js';
import { InteractionController } from './interaction.controller.js';
import { OAuthCoreModule } from './oauth-core.module.js';
import { ProviderMount } from './provider-mount.js';
import { TokenInfoController } from './token-info.controller.js';

/**
 * GitLab's OAuth 2.0 authorization server (issue 8): oidc-provider mounted at GitLab's paths
 * (ProviderMount), GitLab's own routes beside it (token info, RFC 9728 metadata), the sign-in
 * and consent pages bound to `_gitlab_session`, and the admin API for applications.
 */
@Module({
  imports: [OAuthCoreModule, AuthModule, IdentityModule, SessionsCoreModule],
  controllers: [TokenInfoController, InteractionController, ApplicationsController, GitlabRegistrationController],
  providers: [ProviderMount, WebSession],
})
export class OAuthModule {}
