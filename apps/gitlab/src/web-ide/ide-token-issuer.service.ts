import { Inject, Injectable } from '@nestjs/common';
import { AI_TOKEN, type CodeSuggestionsTokenResponse, GITLAB_ERROR } from '#contracts';
import { ContractHttpException } from '#common';
import { AccessTokenFactory } from '../ai-access/access-token.factory.js';
import { type GitlabUser, IdentityService } from '../identity/identity.service.js';
import { InstanceInfo } from '../instance/instance-info.js';
import { InstanceSettings } from '../settings/instance-settings.service.js';

/**
 * Seed 000, option 3: the IDE back end authorises the signed-in user and signs the AI access
 * token itself. The token is the one POST /api/v4/code_suggestions/tokens mints (the same
 * AccessTokenFactory, so the generation in force, this instance's key and realm), and so is
 * the answer, `{access_token, expires_in, created_at}`: the gateway takes it by the same rules
 * as option 2's and the Web IDE reads both the same way.
 *
 * Who may have one: on SaaS a member of a group with code suggestions on; on a self-managed
 * instance anyone while the instance has code suggestions enabled (application settings). A
 * self-managed instance signs with its own key (issuer = its URL, realm self-managed): the
 * gateway must trust it as an issuer, as the embedded stack's does.
 */
@Injectable()
export class IdeTokenIssuer {
  constructor(
    @Inject(InstanceInfo) private readonly instance: InstanceInfo,
    @Inject(IdentityService) private readonly identity: IdentityService,
    @Inject(InstanceSettings) private readonly settings: InstanceSettings,
    @Inject(AccessTokenFactory) private readonly factory: AccessTokenFactory,
  ) {}

  /** Whether `user` may use code suggestions on this instance. */
  mayUseCodeSuggestions(user: GitlabUser): boolean {
    return this.instance.mode === 'saas' ? this.identity.hasCodeSuggestions(user) : this.settings.codeSuggestions;
  }

  /** A token for `user`; 403 `{"message":"403 Forbidden"}` when the user may not use code suggestions. */
  issue(user: GitlabUser): CodeSuggestionsTokenResponse {
    if (!this.mayUseCodeSuggestions(user)) throw new ContractHttpException(GITLAB_ERROR.FORBIDDEN, 403);
    const { token, claims } = this.factory.mint(this.instance.realm);
    return { access_token: token, expires_in: AI_TOKEN.EXPIRES_IN_SECONDS, created_at: claims.iat };
  }
}
