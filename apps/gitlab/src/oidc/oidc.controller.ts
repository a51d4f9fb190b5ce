import { Controller, Get, Header, Inject } from '@nestjs/common';
import {
  JWKS_CACHE_CONTROL,
  type Jwks,
  OAUTH_KNOWN_SCOPES,
  OAUTH_PATH,
  OAUTH_TOKEN,
  type OpenIdConfiguration,
  PATH,
} from '#contracts';
import { ContractHttpException } from '#common';
import { InstanceInfo } from '../instance/instance-info.js';
import { OidcAvailability } from './oidc-availability.js';
import { SigningKeys } from '../signing/signing-keys.service.js';

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

  /**
   * GitLab's discovery document (Doorkeeper::OpenidConnect's, plus what the emulator's
   * authorization server does): the issuer is the instance URL exactly (OpenID Connect
   * Discovery §4.3, RFC 8414 §3.3), every endpoint on it. Only what the server supports is
   * listed: the authorization code grant with refresh (no password or client_credentials
   * grants), S256 PKCE, `iss` in authorization responses (RFC 9207).
   */
  @Get(PATH.OPENID_CONFIGURATION)
  openidConfiguration(): OpenIdConfiguration {
    this.ensureAvailable();
    return this.metadata();
  }

  /** RFC 8414 authorization server metadata: the same document as openid-configuration. */
  @Get(OAUTH_PATH.AUTHORIZATION_SERVER_METADATA)
  authorizationServerMetadata(): OpenIdConfiguration {
    this.ensureAvailable();
    return this.metadata();
  }

  private metadata(): OpenIdConfiguration {
    const url = this.instance.url;
    return {
      issuer: url,
      authorization_endpoint: `${url}${OAUTH_PATH.AUTHORIZE}`,
      token_endpoint: `${url}${OAUTH_PATH.TOKEN}`,
      revocation_endpoint: `${url}${OAUTH_PATH.REVOKE}`,
      introspection_endpoint: `${url}${OAUTH_PATH.INTROSPECT}`,
      userinfo_endpoint: `${url}${OAUTH_PATH.USERINFO}`,
      registration_endpoint: `${url}${OAUTH_PATH.REGISTER}`,
      jwks_uri: `${url}${PATH.JWKS}`,
      scopes_supported: [...OAUTH_KNOWN_SCOPES],
      response_types_supported: ['code'],
      response_modes_supported: ['query', 'fragment'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      claim_types_supported: ['normal'],
      claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'name', 'nickname', 'preferred_username', 'email', 'email_verified', 'website', 'profile', 'picture', 'groups'],
      code_challenge_methods_supported: [OAUTH_TOKEN.CODE_CHALLENGE_METHOD],
      authorization_response_iss_parameter_supported: true,
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
