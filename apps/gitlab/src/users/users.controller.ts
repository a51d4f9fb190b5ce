import { Controller, Get, UseGuards } from '@nestjs/common';
import { PATH } from '../../../../contracts/src/index.js';
import { AllowAccessWithScope, CurrentActor } from '../auth/allow-access-with-scope.decorator.js';
import type { Actor } from '../auth/api-auth.service.js';
import { ApiGuard } from '../auth/api.guard.js';

export interface ApiUser {
  id: number;
  username: string;
  name: string;
  state: 'active';
}

/** GET /api/v4/user: the authenticated user (api, read_api or read_user). */
@Controller()
@UseGuards(ApiGuard)
export class UsersController {
  @Get(PATH.GITLAB_USER)
  @AllowAccessWithScope('read_user')
  currentUser(@CurrentActor() actor: Actor): ApiUser {
    return { id: actor.user.id, username: actor.user.username, name: actor.user.name, state: 'active' };
  }
}
