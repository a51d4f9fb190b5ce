import { Module } from '@nestjs/common';
import { SessionsService } from './sessions.service.js';

/** The session store alone (AuthModule reads it; SessionsModule adds the sign-in pages). */
@Module({ providers: [SessionsService], exports: [SessionsService] })
export class SessionsCoreModule {}
