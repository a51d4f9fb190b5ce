import { Controller, Get, Header, Inject } from '@nestjs/common';
import {
  JWKS_CACHE_CONTROL,
  type Jwks,
  type OpenIdConfiguration,
  PAT_SCOPES,
  PATH,
} from '#contracts';
import { ContractHttpException } from '#common';
import { InstanceInfo } from '../instance/instance-info.js';
import { OidcAvailability } from './oidc-availability.js';
import { SigningKeys } from '../signing/signing-keys.service.js';

/** GitLab's OAuth paths (Doorkeeper); the endpoints themselves arrive with the oauth scenarios. */
export const OAUTH_PATH = {
  AUTHORIZE: '/oauth/authorize',
  TOKEN: '/oauth/token',
  REVOKE: '/oauth/revoke',
  INTROSPECT: '/oauth/introspect',
  USERINFO: '/oauth/userinfo',
} as const;

/** OpenID Connect discovery and the JWKS the AI gateway verifies tokens with (seed 000, option 2). */
@Controller()
export class OidcController {
  constructor(
    @Inject(InstanceInfo) private readonly instance: InstanceInfo,
    @Inject(SigningKeys) private readonly keys: SigningKeys,
    @Inject(OidcAvailability) private readonly availability: OidcAvailability,
  ) {}

  /** Taken down by the harness control API: both routes answer 503 as an overloaded GitLab does. */
  private ensureAvailable(): void {
    if (!this.availability.available) throw new ContractHttpException({ message: '503 Service Unavailable' }, 503);
  }

  /** The issuer is the instance URL exactly (OpenID Connect Discovery §4.3). */
  @Get(PATH.OPENID_CONFIGURATION)
  openidConfiguration(): OpenIdConfiguration {
    this.ensureAvailable();
    const url = this.instance.url;
    return {
      issuer: url,
      authorization_endpoint: `${url}${OAUTH_PATH.AUTHORIZE}`,
      token_endpoint: `${url}${OAUTH_PATH.TOKEN}`,
      revocation_endpoint: `${url}${OAUTH_PATH.REVOKE}`,
      introspection_endpoint: `${url}${OAUTH_PATH.INTROSPECT}`,
      userinfo_endpoint: `${url}${OAUTH_PATH.USERINFO}`,
      jwks_uri: `${url}${PATH.JWKS}`,
      scopes_supported: [...PAT_SCOPES, 'openid', 'profile', 'email'],
      response_types_supported: ['code'],
      response_modes_supported: ['query', 'fragment'],
      grant_types_supported: ['authorization_code', 'password', 'client_credentials', 'refresh_token'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      claim_types_supported: ['normal'],
      claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'sub_legacy', 'name', 'nickname', 'preferred_username', 'email', 'email_verified', 'website', 'profile', 'picture', 'groups'],
      code_challenge_methods_supported: ['S256'],
    };
  }

  /** JwksController#keys: public members only, cached publicly for 24 h. */
  @Get(PATH.JWKS)
  @Header('Cache-Control', JWKS_CACHE_CONTROL)
  jwks(): Jwks {
    this.ensureAvailable();
    return this.keys.publicJwks();
  }
}
