import { Module } from '@nestjs/common';
import { CLOCK, type Clock } from '../instance/tokens.js';
import { SessionsService } from './sessions.service.js';

/** The session store alone (AuthModule reads it; SessionsModule adds the sign-in pages). */
@Module({
  providers: [{ provide: SessionsService, useFactory: (clock: Clock) => new SessionsService(clock), inject: [CLOCK] }],
  exports: [SessionsService],
})
export class SessionsCoreModule {}
