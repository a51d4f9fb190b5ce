import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { OAUTH_PATH, OAUTH_SCOPES, type OAuthTokenInfo, type ProtectedResourceMetadata, TOKEN_INFO_INVALID } from '#contracts';
import { InstanceInfo } from '../instance/instance-info.js';
import { ProviderAccessTokenLookup } from './provider-access-token-lookup.js';

/**
 * The access token of a token-info request, the ways GitLab's Doorkeeper reads it
 * (`access_token_methods :from_access_token_param, :from_bearer_authorization,
 * :from_bearer_param`, GitLab config/initializers/doorkeeper.rb): the Bearer header first, then
 * `?access_token=`, then `?bearer_token=`.
 */
function presentedToken(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  if (header && /^bearer\s+\S/i.test(header)) return header.replace(/^bearer\s+/i, '').trim();
  const query = (req.query ?? {}) as Record<string, unknown>;
  for (const name of ['access_token', 'bearer_token']) if (typeof query[name] === 'string' && query[name]) return query[name] as string;
  return undefined;
}

/** GitLab's own OAuth routes next to the engine: token info and the protected resource metadata. */
@Controller()
export class TokenInfoController {
  constructor(
    @Inject(ProviderAccessTokenLookup) private readonly tokens: ProviderAccessTokenLookup,
    @Inject(InstanceInfo) private readonly instance: InstanceInfo,
  ) {}

  /**
   * GET /oauth/token/info: Doorkeeper's AccessToken#as_json plus GitLab's `scopes` and
   * `expires_in_seconds` (GitLab app/controllers/oauth/token_info_controller.rb:
   * `token_json.merge('scopes' => token_json[:scope], 'expires_in_seconds' => token_json[:expires_in])`).
   * A missing, unknown, expired or revoked token gets TOKEN_INFO_INVALID (contracts/src/oauth.ts
   * gives its sources). Like every Doorkeeper-authenticated request, a live token revokes the
   * older tokens of its chain (ProviderAccessTokenLookup).
   */
  @Get(OAUTH_PATH.TOKEN_INFO)
  tokenInfo(@Req() req: FastifyRequest, @Res() reply: FastifyReply): void {
    const value = presentedToken(req);
    const found = value ? this.tokens.describe(value) : undefined;
    const nowSeconds = Date.now() / 1000;
    if (!found || found.info.revoked || nowSeconds > found.info.expiresAt) {
      void reply.status(TOKEN_INFO_INVALID.status).headers({ ...TOKEN_INFO_INVALID.headers }).send(TOKEN_INFO_INVALID.body);
      return;
    }
    const { info, issuedAt } = found;
    const expiresIn = Math.max(0, Math.round(info.expiresAt - nowSeconds));
    const body: OAuthTokenInfo = {
      resource_owner_id: info.userId,
      scope: [...info.scopes],
      expires_in: expiresIn,
      application: { uid: info.clientId },
      created_at: issuedAt,
      scopes: [...info.scopes],
      expires_in_seconds: expiresIn,
    };
    void reply.status(200).header('cache-control', 'no-store').send(body);
  }

  /**
   * RFC 9728 protected resource metadata of the instance's API: protected by the instance's own
   * authorization server, Bearer in the header. GitLab's exact members were not found in public
   * sources; these are RFC 9728 §2's.
   */
  @Get(OAUTH_PATH.PROTECTED_RESOURCE_METADATA)
  protectedResource(): ProtectedResourceMetadata {
    const url = this.instance.url;
    return {
      resource: url,
      authorization_servers: [url],
      scopes_supported: [...OAUTH_SCOPES],
      bearer_methods_supported: ['header'],
      resource_name: 'GitLab',
      resource_documentation: 'https://docs.gitlab.com/api/oauth2/',
    };
  }
}
