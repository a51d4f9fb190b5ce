import { Controller, Headers, HttpCode, Inject, Optional, Post, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import {
  type CodeSuggestionsTokenResponse,
  FEATURE_FLAG,
  GITLAB_ERROR,
  PATH,
} from '#contracts';
import { ContractHttpException } from '#common';
import { AllowAccessWithScope, CurrentActor } from '../auth/allow-access-with-scope.decorator.js';
import type { Actor } from '../auth/actor.js';
import { ApiGuard } from '../auth/api.guard.js';
import { FeatureFlagsService } from '../feature-flags/feature-flags.service.js';
import { SaasTokenIssuer } from './saas-token-issuer.service.js';
import { SaasTokenRelay } from '../relay/saas-token-relay.service.js';

/**
 * POST /api/v4/code_suggestions/tokens in API::CodeSuggestions' order: authenticate (ApiGuard:
 * ai_features or api) -> 404 when code_suggestions_tokens_api is off -> SaaS mints the token,
 * self-managed relays it (SaasTokenRelay, which only a self-managed instance has).
 */
@Controller()
@UseGuards(ApiGuard)
export class CodeSuggestionsTokensController {
  constructor(
    @Inject(FeatureFlagsService) private readonly flags: FeatureFlagsService,
    @Inject(SaasTokenIssuer) private readonly issuer: SaasTokenIssuer,
    @Optional() @Inject(SaasTokenRelay) private readonly relay: SaasTokenRelay | undefined,
  ) {}

  @Post(PATH.GITLAB_CODE_SUGGESTIONS_TOKENS)
  @HttpCode(201)
  @AllowAccessWithScope('ai_features')
  async create(
    @CurrentActor() actor: Actor,
    @Headers('user-agent') userAgent: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CodeSuggestionsTokenResponse | object | string> {
    if (!this.flags.isEnabled(FEATURE_FLAG.CODE_SUGGESTIONS_TOKENS_API, actor.user)) {
      throw new ContractHttpException(GITLAB_ERROR.NOT_FOUND, 404);
    }
    if (this.relay) {
      const result = await this.relay.relay({ actor, userAgent });
      void reply.status(result.status).headers(result.headers ?? {});
      if (result.bodyText === undefined) return result.body;
      // Fastify sends a string with a JSON content type as it is, without serialising it again.
      void reply.header('content-type', 'application/json; charset=utf-8');
      return result.bodyText;
    }
    return this.issuer.issue(actor.user, { userAgent });
  }
}
