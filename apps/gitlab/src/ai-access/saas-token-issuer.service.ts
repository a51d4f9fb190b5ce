import { Inject, Injectable } from '@nestjs/common';
import {
  AI_TOKEN,
  type CodeSuggestionsTokenResponse,
  FEATURE_FLAG,
  GITLAB_ERROR,
  GITLAB_REALM,
  USER_AGENT,
} from '#contracts';
import { ContractHttpException } from '#common';
import { FeatureFlagsService } from '../feature-flags/feature-flags.service.js';
import { type GitlabUser, IdentityService } from '../identity/identity.service.js';
import { AccessTokenFactory } from './access-token.factory.js';

/** SaaS recognises a request relayed by a self-managed instance by Workhorse's User-Agent (seed 001). */
export function isRelayedFromSelfManaged(userAgent: string | undefined): boolean {
  return userAgent?.startsWith(USER_AGENT.RELAY_PREFIX) ?? false;
}

/**
 * The SaaS side of POST /api/v4/code_suggestions/tokens after authentication and the
 * endpoint's feature flag (API::CodeSuggestions): 401 unless code suggestions are enabled for
 * the user; a relayed request also needs the per-actor flag
 * code_suggestions_for_instance_admin_enabled and gets a token with realm self-managed.
 * Independent of the instance's mode, so a self-managed emulator never reaches it by accident
 * and SaaS keeps it whatever the relay becomes.
 */
@Injectable()
export class SaasTokenIssuer {
  constructor(
    @Inject(IdentityService) private readonly identity: IdentityService,
    @Inject(FeatureFlagsService) private readonly flags: FeatureFlagsService,
    @Inject(AccessTokenFactory) private readonly factory: AccessTokenFactory,
  ) {}

  issue(user: GitlabUser, request: { userAgent: string | undefined }): CodeSuggestionsTokenResponse {
    if (!this.identity.hasCodeSuggestions(user)) throw new ContractHttpException(GITLAB_ERROR.UNAUTHORIZED, 401);
    const relayed = isRelayedFromSelfManaged(request.userAgent);
    if (relayed && !this.flags.isEnabled(FEATURE_FLAG.INSTANCE_ADMIN_ENABLED, user)) {
      throw new ContractHttpException(GITLAB_ERROR.UNAUTHORIZED, 401);
    }
    const { token, claims } = this.factory.mint(relayed ? GITLAB_REALM.SELF_MANAGED : GITLAB_REALM.SAAS);
    return { access_token: token, expires_in: AI_TOKEN.EXPIRES_IN_SECONDS, created_at: claims.iat };
  }
}
