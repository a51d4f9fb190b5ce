import { Module } from '@nestjs/common';
import { IdentityModule } from '../identity/identity.module.js';
import { SessionsCoreModule } from './sessions-core.module.js';
import { SessionsController } from './sessions.controller.js';

/** Browser sign-in, sign-out and the signed-in page. */
@Module({
  imports: [IdentityModule, SessionsCoreModule],
  controllers: [SessionsController],
})
export class SessionsModule {}
