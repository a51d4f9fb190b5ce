import { Body, Get, Inject, Put } from '@nestjs/common';
import { z } from 'zod';
import { CONTROL_ROUTE, OAUTH_REGISTRATION_MODES, type OAuthServerState } from '#contracts';
import { HarnessControl } from '#common';
import { parseBody } from '../control/control.schemas.js';
import { AuthorizationServer } from './authorization-server.js';

const oauthServerBody = z.object({ registration_mode: z.enum(OAUTH_REGISTRATION_MODES) }).strict();

/**
 * GET and PUT /-/harness/oauth: which registration answer POST /oauth/register gives, so one
 * instance can show both RFC 7591 and GitLab's own (the next request gets a rebuilt engine).
 */
@HarnessControl()
export class OAuthControlController {
  constructor(@Inject(AuthorizationServer) private readonly server: AuthorizationServer) {}

  @Get(CONTROL_ROUTE.OAUTH)
  get(): OAuthServerState {
    return { registration_mode: this.server.registrationMode };
  }

  @Put(CONTROL_ROUTE.OAUTH)
  set(@Body() body: unknown): OAuthServerState {
    this.server.setRegistrationMode(parseBody(oauthServerBody, body).registration_mode);
    return this.get();
  }
}
