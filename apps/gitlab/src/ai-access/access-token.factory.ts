import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  AI_TOKEN,
  AI_TOKEN_SHAPE_INFO,
  type AiAccessTokenClaims,
  type AiAccessTokenHeader,
  type GitlabRealm,
  UNIT_PRIMITIVE,
} from '#contracts';
import { InstanceInfo } from '../instance/instance-info.js';
import { CLOCK, type Clock } from '../instance/di.js';
import { SigningKeys } from '../signing/signing-keys.service.js';
import { AiTokenSettings } from './ai-token-settings.service.js';

export interface MintedAccessToken {
  token: string;
  header: AiAccessTokenHeader;
  claims: AiAccessTokenClaims;
}

/** Overrides the control API applies over a real token; a null value removes the member. */
export interface TokenOverrides {
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
  /** Sign with this published key instead of the active one. */
  kid?: string;
}

/**
 * Mints AI access tokens in the generation the issuer is set to (AiTokenSettings, contracts
 * AI_TOKEN_SHAPES), member for member and in GitLab's order (GitLab ee/lib/gitlab sources):
 *
 * - `seed-000`, Gitlab::CodeSuggestions::AccessToken (code_suggestions/access_token.rb L6-36):
 *   header {typ, alg}; claims jti, aud gitlab-code-suggestions, iss, iat, nbf, exp; nothing else.
 * - `seed-002`, Gitlab::Ai::AccessToken (ai/access_token.rb L6-53): header {typ, alg}; claims jti,
 *   aud gitlab-ai-gateway, iss, iat, nbf, exp, third_party_ai_features_enabled: true,
 *   gitlab_realm, scopes [code_suggestions].
 * - `cloud-connector`, Gitlab::CloudConnector::JsonWebToken (cloud_connector/json_web_token.rb
 *   L30-52): header {typ, kid, alg}; claims jti, aud gitlab-ai-gateway, sub (this instance's
 *   UUID), iss, iat, nbf, exp, gitlab_realm, scopes [code_suggestions].
 *
 * Always RS256, iss = the instance URL, nbf = iat - 5 s, exp = iat + 3600 s. No generation sets
 * gitlab_instance_id (only the gateway's own user tokens carry it). The header's kid follows
 * the shape unless the settings override it.
 */
@Injectable()
export class AccessTokenFactory {
  constructor(
    @Inject(InstanceInfo) private readonly instance: InstanceInfo,
    @Inject(AiTokenSettings) private readonly settings: AiTokenSettings,
    @Inject(SigningKeys) private readonly keys: SigningKeys,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * The claims a real token for this realm carries, as of now, in the shape in force. No
   * generation names the user: the token stands for the instance (and realm) that asked.
   */
  claimsFor(realm: GitlabRealm): AiAccessTokenClaims {
    const { shape } = this.settings.get();
    const aud = AI_TOKEN_SHAPE_INFO[shape].audience;
    const iat = Math.floor(this.clock.now() / 1000);
    const jti = randomUUID();
    const iss = this.instance.url;
    const times = { iat, nbf: iat - AI_TOKEN.NOT_BEFORE_SKEW_SECONDS, exp: iat + AI_TOKEN.EXPIRES_IN_SECONDS };
    const scopes = [UNIT_PRIMITIVE.CODE_SUGGESTIONS];
    switch (shape) {
      case 'seed-000':
        return { jti, aud, iss, ...times };
      case 'seed-002':
        return { jti, aud, iss, ...times, third_party_ai_features_enabled: true, gitlab_realm: realm, scopes };
      case 'cloud-connector':
        // sub is the instance UUID (Gitlab::CurrentSettings.uuid; architecture.md L153), which the
        // gateway binds to X-Gitlab-Instance-Id (ai_gateway cloud_connector/auth.py L102-106).
        return { jti, aud, sub: this.instance.instanceId, iss, ...times, gitlab_realm: realm, scopes };
    }
  }

  /**
   * The JOSE header of a token signed with `kid`: {typ, kid, alg} as ruby-jwt writes it (the
   * caller's headers, then `alg` appended: lib/jwt/encode.rb), kid left out when the issuer
   * omits it.
   */
  headerFor(kid: string): AiAccessTokenHeader {
    return this.settings.get().includeKid
      ? { typ: AI_TOKEN.TYP, kid, alg: AI_TOKEN.ALGORITHM }
      : { typ: AI_TOKEN.TYP, alg: AI_TOKEN.ALGORITHM };
  }

  /** A real token (POST /api/v4/code_suggestions/tokens), for a user the caller has authorised. */
  mint(realm: GitlabRealm): MintedAccessToken {
    const kid = this.keys.activeKid;
    const header = this.headerFor(kid);
    const claims = this.claimsFor(realm);
    return { token: this.keys.sign(header, claims, kid), header, claims };
  }

  /**
   * The instance token GitLab sends the AI gateway for a Cloud Connector service other than
   * the code-suggestions token endpoint (Duo Chat, issue 9), with that service's unit
   * primitives as `scopes`. Always today's shape, Gitlab::CloudConnector::JsonWebToken
   * (json_web_token.rb L30-52: header {typ, kid, alg}; jti, aud gitlab-ai-gateway, sub = the
   * instance UUID, iss, iat, nbf, exp, gitlab_realm, scopes), whatever generation the token
   * endpoint is set to: GitLab has minted its chat tokens through Cloud Connector only
   * (CloudConnector::AccessService, scopes [:duo_chat]).
   */
  mintServiceToken(scopes: readonly string[]): MintedAccessToken {
    const kid = this.keys.activeKid;
    const header: AiAccessTokenHeader = { typ: AI_TOKEN.TYP, kid, alg: AI_TOKEN.ALGORITHM };
    const iat = Math.floor(this.clock.now() / 1000);
    const claims: AiAccessTokenClaims = {
      jti: randomUUID(),
      aud: AI_TOKEN_SHAPE_INFO['cloud-connector'].audience,
      sub: this.instance.instanceId,
      iss: this.instance.url,
      iat,
      nbf: iat - AI_TOKEN.NOT_BEFORE_SKEW_SECONDS,
      exp: iat + AI_TOKEN.EXPIRES_IN_SECONDS,
      gitlab_realm: this.instance.realm,
      scopes: [...scopes],
    };
    return { token: this.keys.sign(header, claims, kid), header, claims };
  }

  /**
   * A real token with members replaced or removed (control API): callers have checked that
   * the header still says RS256 and that `kid` names a published key.
   */
  mintWithOverrides(realm: GitlabRealm, overrides: TokenOverrides): MintedAccessToken {
    const kid = overrides.kid ?? this.keys.activeKid;
    const header = mergeRemovingNulls(this.headerFor(kid), overrides.header) as AiAccessTokenHeader;
    const claims = mergeRemovingNulls(this.claimsFor(realm), overrides.claims) as AiAccessTokenClaims;
    return { token: this.keys.sign(header, claims, kid), header, claims };
  }
}

/**
 * `{...base, ...overrides}` where an override of null deletes the member. Members are defined,
 * not assigned, so an untrusted `__proto__` member stays a plain member.
 */
export function mergeRemovingNulls(
  base: Readonly<Record<string, unknown>>,
  overrides: Readonly<Record<string, unknown>> | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(overrides ?? {})) {
    if (v === null) delete out[k];
    else Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
