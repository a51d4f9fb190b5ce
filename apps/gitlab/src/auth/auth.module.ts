import { Module } from '@nestjs/common';
import { IdentityModule } from '../identity/identity.module.js';
import { SessionsCoreModule } from '../sessions/sessions-core.module.js';
import { ApiAuthService } from './api-auth.service.js';
import { AdminGuard } from './admin.guard.js';
import { ApiGuard } from './api.guard.js';

/** API authentication (personal access tokens, browser sessions) for controllers using ApiGuard (and AdminGuard). */
@Module({
  imports: [IdentityModule, SessionsCoreModule],
  providers: [ApiAuthService, ApiGuard, AdminGuard],
  exports: [ApiAuthService, ApiGuard, AdminGuard],
})
export class AuthModule {}
