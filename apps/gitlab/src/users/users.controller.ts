import { Controller, Get, UseGuards } from '@nestjs/common';
import { GITLAB_ERROR, PAT_SCOPES, PATH } from '#contracts';
import { ContractHttpException } from '#common';
import { AllowAccessWithScope, CurrentActor } from '../auth/allow-access-with-scope.decorator.js';
import type { Actor } from '../auth/actor.js';
import { ApiGuard } from '../auth/api.guard.js';

export interface ApiUser {
  id: number;
  username: string;
  name: string;
  state: 'active';
}

export interface ApiPersonalAccessToken {
  name: string;
  revoked: false;
  active: true;
  scopes: readonly string[];
  user_id: number;
  expires_at: string | null;
}

export interface ApiGroup {
  path: string;
  name: string;
  full_path: string;
}

/**
 * The user-facing reads an IDE makes when it is configured with a personal access token
 * (seed 001 steps 6-7): who the token belongs to, what the token itself may do, and the
 * user's groups.
 */
@Controller()
@UseGuards(ApiGuard)
export class UsersController {
  /** GET /api/v4/user: the authenticated user (api, read_api or read_user). */
  @Get(PATH.GITLAB_USER)
  @AllowAccessWithScope('read_user')
  currentUser(@CurrentActor() actor: Actor): ApiUser {
    return { id: actor.user.id, username: actor.user.username, name: actor.user.name, state: 'active' };
  }

  /**
   * GET /api/v4/personal_access_tokens/self: the presented token, as IDE extensions check a
   * token's scopes when it is configured. Any scope may read itself; only an active token gets
   * here (a revoked or expired one is refused by ApiGuard). A browser session has no token: 404.
   */
  @Get(PATH.GITLAB_PAT_SELF)
  @AllowAccessWithScope(...PAT_SCOPES)
  currentToken(@CurrentActor() actor: Actor): ApiPersonalAccessToken {
    if (actor.via !== 'personal_access_token') throw new ContractHttpException(GITLAB_ERROR.NOT_FOUND, 404);
    return { name: actor.tokenName, revoked: false, active: true, scopes: actor.scopes, user_id: actor.user.id, expires_at: actor.expiresAt ?? null };
  }

  /** GET /api/v4/groups: the groups the user is a member of (api or read_api). */
  @Get(PATH.GITLAB_GROUPS)
  groups(@CurrentActor() actor: Actor): ApiGroup[] {
    return actor.user.groups.map((path) => ({ path, name: path, full_path: path }));
  }
}
