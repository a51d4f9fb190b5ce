import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { IdentityModule } from '../identity/identity.module.js';
import { SessionsCoreModule } from './sessions-core.module.js';
import { SessionsController } from './sessions.controller.js';

/** Browser sign-in (password, through AuthModule's PasswordSignInGuard), sign-out and the signed-in page. */
@Module({
  imports: [IdentityModule, SessionsCoreModule, AuthModule],
  controllers: [SessionsController],
})
export class SessionsModule {}
