import { randomBytes } from 'node:crypto';
import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import {
  GITLAB_DYNAMIC_APPLICATION_NAME_PREFIX,
  GITLAB_DYNAMIC_CLIENT_SCOPE,
  type GitlabDynamicRegistration,
  OAUTH_PATH,
} from '#contracts';
import { ContractHttpException } from '#common';
import { type ApplicationMetadata, AuthorizationServer } from './authorization-server.js';
import { GITLAB_CLIENT_METADATA } from './provider-configuration.js';

/** GitLab's answer for metadata it refuses: 400 `invalid_client_metadata` (RFC 7591 §3.2.2). */
function invalidMetadata(description: string): ContractHttpException {
  return new ContractHttpException({ error: 'invalid_client_metadata', error_description: description }, 400);
}

/** The longest client_name GitLab takes, exclusive (`client_name.length < 200`). */
const CLIENT_NAME_LIMIT = 200;

/**
 * POST /oauth/register in registration mode `gitlab`: GitLab's own controller
 * (app/controllers/oauth/dynamic_registrations_controller.rb, gitlabhq@0286e4c6), reached
 * because ProviderMount leaves this request to Nest in that mode. Only `redirect_uris` (a string
 * or a list) and `client_name` (required, under 200 characters) are read; the application is
 * public, scope `mcp`, named "[Unverified Dynamic Application] <name>", with no registration
 * access token; the answer is GitLab's, key for key. Redirect URIs are checked by the engine's
 * client validation (GitLab's model validation answers its messages as error_description).
 */
@Controller()
export class GitlabRegistrationController {
  constructor(@Inject(AuthorizationServer) private readonly server: AuthorizationServer) {}

  @Post(OAUTH_PATH.REGISTER)
  @HttpCode(201)
  async register(@Body() body: unknown): Promise<GitlabDynamicRegistration> {
    const given = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    const name = given.client_name;
    // GitLab's validate_dynamic_fields: one message for a missing and a too long name.
    if (typeof name !== 'string' || name.trim() === '' || name.length >= CLIENT_NAME_LIMIT) throw invalidMetadata('client_name is too long');
    const uris = typeof given.redirect_uris === 'string' ? [given.redirect_uris] : given.redirect_uris;
    if (!Array.isArray(uris) || uris.length === 0 || !uris.every((u): u is string => typeof u === 'string' && u !== '')) {
      throw invalidMetadata("Redirect URI can't be blank");
    }
    const provider = await this.server.provider();
    const metadata: ApplicationMetadata & { [GITLAB_CLIENT_METADATA.DYNAMIC]: true } = {
      client_id: randomBytes(32).toString('hex'),
      client_name: `${GITLAB_DYNAMIC_APPLICATION_NAME_PREFIX}${name}`,
      redirect_uris: uris,
      scope: GITLAB_DYNAMIC_CLIENT_SCOPE,
      token_endpoint_auth_method: 'none',
      // Stored with refresh_token so the client can refresh (GitLab's dynamic apps can); the answer says authorization_code.
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      [GITLAB_CLIENT_METADATA.DYNAMIC]: true,
      [GITLAB_CLIENT_METADATA.APPLICATION_ID]: this.server.allocateApplicationId(),
    };
    try {
      await provider.Client.validate({ ...metadata });
    } catch (e) {
      throw invalidMetadata((e as { error_description?: string }).error_description ?? 'Redirect URI is invalid');
    }
    this.server.saveApplication({ ...metadata, client_id_issued_at: Math.floor(Date.now() / 1000) });
    return {
      client_id: metadata.client_id,
      client_id_issued_at: Math.floor(Date.now() / 1000),
      redirect_uris: uris,
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      require_pkce: true,
      client_name: metadata.client_name,
      scope: GITLAB_DYNAMIC_CLIENT_SCOPE,
      dynamic: true,
    };
  }
}
