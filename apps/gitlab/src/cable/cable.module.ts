import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { CableAuthenticator } from './cable-authenticator.js';
import { CableServer } from './cable-server.js';

/**
 * Action Cable at /-/cable (seed 004, issue 9): GraphqlChannel subscriptions over WebSocket,
 * authenticated by the REST API's credential strategies (AuthModule). The GraphQL side is the
 * GraphqlSubscriptions port, resolved app-wide (optional): the module that implements it must
 * provide it globally.
 */
@Module({
  imports: [AuthModule],
  providers: [CableAuthenticator, CableServer],
  exports: [CableServer],
})
export class CableModule {}
