import { randomUUID } from 'node:crypto';
import {
  AI_TOKEN,
  AUDIENCE,
  type AiAccessTokenClaims,
  type AiAccessTokenHeader,
  type GitlabRealm,
  UNIT_PRIMITIVE,
} from '../../../../contracts/src/index.js';
import type { GitlabUser } from '../identity/identity.service.js';
import type { InstanceInfo } from '../instance/instance-info.js';
import type { Clock } from '../instance/tokens.js';
import type { SigningKeys } from '../signing/signing-keys.service.js';
import type { AiTokenSettings } from './ai-token-settings.service.js';

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
 * Mints AI access tokens as Gitlab::Ai::AccessToken does (seed 002): RS256, header
 * {alg, typ: JWT, kid}; claims jti, aud, iss (the instance URL), iat, nbf = iat - 5 s,
 * exp = iat + 3600 s, gitlab_realm, scopes [code_suggestions] (not on the legacy audience),
 * sub (global user id) and gitlab_instance_id.
 */
export class AccessTokenFactory {
  constructor(
    private readonly instance: InstanceInfo,
    private readonly settings: AiTokenSettings,
    private readonly keys: SigningKeys,
    private readonly clock: Clock,
  ) {}

  /** The claims a real token for this user and realm carries, as of now. */
  claimsFor(user: GitlabUser, realm: GitlabRealm): AiAccessTokenClaims {
    const { audience } = this.settings.get();
    const iat = Math.floor(this.clock.now() / 1000);
    return {
      jti: randomUUID(),
      aud: audience,
      iss: this.instance.url,
      iat,
      nbf: iat - AI_TOKEN.NOT_BEFORE_SKEW_SECONDS,
      exp: iat + AI_TOKEN.EXPIRES_IN_SECONDS,
      gitlab_realm: realm,
      // The legacy issuer (Gitlab::CodeSuggestions::AccessToken) had no scopes claim.
      ...(audience === AUDIENCE.LEGACY_CODE_SUGGESTIONS ? {} : { scopes: [UNIT_PRIMITIVE.CODE_SUGGESTIONS] }),
      sub: user.globalId,
      gitlab_instance_id: this.instance.instanceId,
    };
  }

  /** The JOSE header of a token signed with `kid` (kid left out when the issuer omits it). */
  headerFor(kid: string): AiAccessTokenHeader {
    const base: AiAccessTokenHeader = { alg: AI_TOKEN.ALGORITHM, typ: AI_TOKEN.TYP };
    return this.settings.get().includeKid ? { ...base, kid } : base;
  }

  /** A real token for the user (POST /api/v4/code_suggestions/tokens). */
  mint(user: GitlabUser, realm: GitlabRealm): MintedAccessToken {
    const kid = this.keys.activeKid;
    const header = this.headerFor(kid);
    const claims = this.claimsFor(user, realm);
    return { token: this.keys.sign(header, claims, kid), header, claims };
  }

  /**
   * A real token with members replaced or removed (control API): callers have checked that
   * the header still says RS256 and that `kid` names a published key.
   */
  mintWithOverrides(user: GitlabUser, realm: GitlabRealm, overrides: TokenOverrides): MintedAccessToken {
    const kid = overrides.kid ?? this.keys.activeKid;
    const header = mergeRemovingNulls(this.headerFor(kid), overrides.header) as AiAccessTokenHeader;
    const claims = mergeRemovingNulls(this.claimsFor(user, realm), overrides.claims) as AiAccessTokenClaims;
    return { token: this.keys.sign(header, claims, kid), header, claims };
  }
}

/** `{...base, ...overrides}` where an override of null deletes the member. */
export function mergeRemovingNulls(
  base: Readonly<Record<string, unknown>>,
  overrides: Readonly<Record<string, unknown>> | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(overrides ?? {})) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}
