import { AI_TOKEN } from '../../../../contracts/src/index.js';
import type { AccessTokenFactory, MintedAccessToken, TokenOverrides } from '../ai-access/access-token.factory.js';
import type { AiTokenSettings } from '../ai-access/ai-token-settings.service.js';
import { badRequest, notFound } from '../errors.js';
import type { FeatureFlagsService } from '../feature-flags/feature-flags.service.js';
import type { GitlabUser, IdentityService } from '../identity/identity.service.js';
import type { InstanceInfo } from '../instance/instance-info.js';
import type { SessionsService } from '../sessions/sessions.service.js';
import type { InstanceSettings } from '../settings/instance-settings.service.js';
import type { SaasRelayClient } from '../relay/saas-relay-client.js';
import type { SigningKeys } from '../signing/signing-keys.service.js';

/** What the control API does beyond parsing bodies: minting crafted tokens and resetting state. */
export class ControlService {
  constructor(
    private readonly instance: InstanceInfo,
    private readonly identity: IdentityService,
    private readonly flags: FeatureFlagsService,
    private readonly settings: AiTokenSettings,
    private readonly keys: SigningKeys,
    private readonly factory: AccessTokenFactory,
    private readonly sessions: SessionsService,
    private readonly instanceSettings: InstanceSettings,
    /** The self-managed relay (null on SaaS). */
    readonly relay: SaasRelayClient | null,
  ) {}

  /**
   * A token as a real one for the user would be (in the issuer's shape), with claims and header
   * members replaced or removed (null). Signed RS256 with one of this instance's published keys
   * only: tokens with other algorithms or foreign keys are the harness's own to craft. The user
   * must exist, though no token generation carries user data.
   */
  mintToken(request: { username?: string; claims?: Record<string, unknown>; header?: Record<string, unknown>; kid?: string }): MintedAccessToken {
    const user = request.username === undefined ? this.defaultUser() : this.identity.findUserByUsername(request.username);
    // A user or key that does not exist is a 404 naming it, as GitLab's not_found!('User').
    if (!user) throw notFound('User', `username: no user '${request.username}'`);
    if (request.kid !== undefined && !this.keys.has(request.kid)) throw notFound('Key', `kid: no published signing key '${request.kid}'`);
    if (request.header && 'alg' in request.header && request.header.alg !== AI_TOKEN.ALGORITHM) {
      throw badRequest(`header.alg: only ${AI_TOKEN.ALGORITHM} with this instance's keys; craft other algorithms in the harness`);
    }
    const overrides: TokenOverrides = { claims: request.claims, header: request.header, kid: request.kid };
    return this.factory.mintWithOverrides(this.instance.realm, overrides);
  }

  /** Usernames must exist before a flag is enabled for them. */
  checkActors(actors: readonly string[]): void {
    const unknown = actors.filter((a) => !this.identity.findUserByUsername(a));
    if (unknown.length) throw notFound('User', `actors: no user ${unknown.map((a) => `'${a}'`).join(', ')}`);
  }

  /** Fixture state (tokens, groups, application settings), flags, issuer and relay settings and sessions back to start; signing keys stay. */
  reset(): void {
    this.relay?.resetTarget();
    this.identity.reset();
    this.flags.reset();
    this.settings.reset();
    this.instanceSettings.reset();
    this.sessions.clear();
  }

  /** The first user with code suggestions (else the first user): whom a token is minted for by default. */
  private defaultUser(): GitlabUser | undefined {
    const users = this.identity.listUsers();
    return users.find((u) => this.identity.hasCodeSuggestions(u)) ?? users[0];
  }
}
