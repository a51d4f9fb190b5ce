import { Body, Get, HttpCode, Inject, Post, Put } from '@nestjs/common';
import { AI_TOKEN, type AiTokenSettingsState, CONTROL_ROUTE } from '#contracts';
import { HarnessControl } from '#common';
import { aiTokenBody, mintTokenBody, parseBody, parseOptionalBody } from '../control/control.schemas.js';
import { badRequest, notFound } from '../errors.js';
import { type GitlabUser, IdentityService } from '../identity/identity.service.js';
import { InstanceInfo } from '../instance/instance-info.js';
import { SigningKeys } from '../signing/signing-keys.service.js';
import { AccessTokenFactory, type MintedAccessToken } from './access-token.factory.js';
import { AiTokenSettings } from './ai-token-settings.service.js';

/** The AI access token through the harness control API: crafted tokens and the generation in force. */
@HarnessControl()
export class AiAccessControlController {
  constructor(
    @Inject(InstanceInfo) private readonly instance: InstanceInfo,
    @Inject(IdentityService) private readonly identity: IdentityService,
    @Inject(SigningKeys) private readonly keys: SigningKeys,
    @Inject(AccessTokenFactory) private readonly factory: AccessTokenFactory,
    @Inject(AiTokenSettings) private readonly settings: AiTokenSettings,
  ) {}

  /**
   * A token as a real one for the user would be (in the issuer's shape), with claims and header
   * members replaced or removed (null). Signed RS256 with one of this instance's published keys
   * only: tokens with other algorithms or foreign keys are the harness's own to craft. The user
   * must exist, though no token generation carries user data.
   */
  @Post(CONTROL_ROUTE.TOKENS)
  @HttpCode(201)
  mintToken(@Body() body: unknown): MintedAccessToken {
    const request = parseOptionalBody(mintTokenBody, body);
    const user = request.username === undefined ? this.defaultUser() : this.identity.findUserByUsername(request.username);
    // A user or key that does not exist is a 404 naming it, as GitLab's not_found!('User').
    if (!user) throw notFound('User', `username: no user '${request.username}'`);
    if (request.kid !== undefined && !this.keys.has(request.kid)) throw notFound('Key', `kid: no published signing key '${request.kid}'`);
    if (request.header && 'alg' in request.header && request.header.alg !== AI_TOKEN.ALGORITHM) {
      throw badRequest(`header.alg: only ${AI_TOKEN.ALGORITHM} with this instance's keys; craft other algorithms in the harness`);
    }
    return this.factory.mintWithOverrides(this.instance.realm, { claims: request.claims, header: request.header, kid: request.kid });
  }

  /** The AI access token generation in force: `{shape, audience, includeKid}` (includeKid as it applies now). */
  @Get(CONTROL_ROUTE.AI_TOKEN)
  aiTokenSettings(): AiTokenSettingsState {
    return this.settings.get();
  }

  /** Switches the generation and/or the kid choice (aiTokenBody); reset restores AI_TOKEN_SHAPE / AI_TOKEN_INCLUDE_KID. */
  @Put(CONTROL_ROUTE.AI_TOKEN)
  updateAiTokenSettings(@Body() body: unknown): AiTokenSettingsState {
    return this.settings.update(parseBody(aiTokenBody, body));
  }

  /** The first user with code suggestions (else the first user): whom a token is minted for by default. */
  private defaultUser(): GitlabUser | undefined {
    const users = this.identity.listUsers();
    return users.find((u) => this.identity.hasCodeSuggestions(u)) ?? users[0];
  }
}
