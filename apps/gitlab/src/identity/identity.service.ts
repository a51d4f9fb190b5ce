import { createHash } from 'node:crypto';
import type { DemoInstance, PatScope } from '#contracts';
import type { Clock } from '../instance/di.js';
import { globalUserId } from './global-user-id.js';
import { type PasswordHash, hashPassword, verifyPassword } from './passwords.js';

export interface GitlabUser {
  id: number;
  username: string;
  name: string;
  admin: boolean;
  /** Paths of the groups the user belongs to. */
  groups: readonly string[];
  /** `sub` of the tokens minted for this user (see global-user-id.ts). */
  globalId: string;
}

export interface GitlabGroup {
  path: string;
  codeSuggestionsEnabled: boolean;
}

export interface PersonalAccessToken {
  name: string;
  userId: number;
  scopes: readonly PatScope[];
  revoked: boolean;
  /** YYYY-MM-DD; the token is expired on and after this date (UTC), as GitLab's expires_at. */
  expiresAt?: string;
}

export type PatState = 'active' | 'revoked' | 'expired';

/** The result of looking a presented token up. */
export type PatLookup =
  | { found: false }
  | { found: true; token: PersonalAccessToken; user: GitlabUser; state: PatState };

interface StoredUser extends GitlabUser {
  password: PasswordHash;
}

/** SHA-256 of a token: GitLab stores token digests, never the tokens themselves. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Users, groups and personal access tokens of this instance, built from its fixture section.
 * As GitLab stores them, tokens are kept by SHA-256 digest and passwords as scrypt hashes: a
 * presented token is digested and looked up, a password is compared in constant time.
 */
export class IdentityService {
  private readonly users: ReadonlyMap<number, StoredUser>;
  private readonly byUsername: ReadonlyMap<string, StoredUser>;
  /** The seeded groups; `groups` is the mutable copy (the control API flips code suggestions) that reset() restores. */
  private readonly seededGroups: ReadonlyMap<string, Readonly<GitlabGroup>>;
  private groups = new Map<string, GitlabGroup>();
  /** The seeded tokens (by digest); `tokens` is the mutable copy that reset() restores. */
  private readonly seededTokens: ReadonlyMap<string, Readonly<PersonalAccessToken>>;
  private tokens = new Map<string, PersonalAccessToken>();
  /** Verified against for unknown logins, so both branches cost one scrypt. */
  private readonly decoyPassword: PasswordHash;

  private constructor(
    users: StoredUser[],
    groups: GitlabGroup[],
    tokens: Map<string, PersonalAccessToken>,
    decoy: PasswordHash,
    private readonly clock: Clock,
  ) {
    this.users = new Map(users.map((u) => [u.id, u]));
    this.byUsername = new Map(users.map((u) => [u.username.toLowerCase(), u]));
    this.seededGroups = new Map(groups.map((g) => [g.path, { ...g }]));
    this.seededTokens = tokens;
    this.decoyPassword = decoy;
    this.reset();
  }

  /** Builds the store from a validated fixture section (identity/fixture-loader.ts). */
  static async create(instance: DemoInstance, clock: Clock): Promise<IdentityService> {
    const users = await Promise.all(
      instance.users.map(
        async (u): Promise<StoredUser> => ({
          id: u.id,
          username: u.username,
          name: u.name ?? u.username,
          admin: u.admin ?? false,
          groups: [...(u.groups ?? [])],
          globalId: globalUserId(instance.instance_id, u.id),
          password: await hashPassword(u.password),
        }),
      ),
    );
    const tokens = new Map<string, PersonalAccessToken>();
    for (const u of instance.users) {
      for (const t of u.personal_access_tokens ?? []) {
        tokens.set(tokenDigest(t.token), {
          name: t.name,
          userId: u.id,
          scopes: t.scopes as PatScope[],
          revoked: t.revoked ?? false,
          ...(t.expires_at ? { expiresAt: t.expires_at } : {}),
        });
      }
    }
    const groups = (instance.groups ?? []).map((g) => ({ path: g.path, codeSuggestionsEnabled: g.code_suggestions_enabled ?? false }));
    return new IdentityService(users, groups, tokens, await hashPassword('decoy-password-never-matches'), clock);
  }

  /** Every user, in fixture order. */
  listUsers(): GitlabUser[] {
    return [...this.users.values()].map(publicUser);
  }

  findUserById(id: number): GitlabUser | undefined {
    const u = this.users.get(id);
    return u && publicUser(u);
  }

  findUserByUsername(username: string): GitlabUser | undefined {
    const u = this.byUsername.get(username.toLowerCase());
    return u && publicUser(u);
  }

  /** Looks a presented personal access token up by its digest and tells its state now. */
  findPersonalAccessToken(token: string): PatLookup {
    const pat = this.tokens.get(tokenDigest(token));
    const user = pat && this.users.get(pat.userId);
    if (!pat || !user) return { found: false };
    return { found: true, token: { ...pat }, user: publicUser(user), state: this.patState(pat) };
  }

  /** Expired is checked first, as GitLab's AccessTokenValidationService does. */
  patState(pat: PersonalAccessToken): PatState {
    if (pat.expiresAt && utcDate(this.clock.now()) >= pat.expiresAt) return 'expired';
    if (pat.revoked) return 'revoked';
    return 'active';
  }

  /** Checks a login (username, case-insensitive) and password; the user when both match. */
  async verifyCredentials(login: string, password: string): Promise<GitlabUser | undefined> {
    const user = this.byUsername.get(login.toLowerCase());
    const ok = await verifyPassword(password, user?.password ?? this.decoyPassword);
    return ok && user ? publicUser(user) : undefined;
  }

  /**
   * Whether code suggestions are enabled for the user on SaaS: one of their groups has it
   * enabled (GitLab checks the user's root groups; our groups are all root groups).
   */
  hasCodeSuggestions(user: GitlabUser): boolean {
    return user.groups.some((path) => this.groups.get(path)?.codeSuggestionsEnabled === true);
  }

  findGroup(path: string): GitlabGroup | undefined {
    const g = this.groups.get(path);
    return g && { ...g };
  }

  /** Turns code suggestions on or off for a group (control API); undefined for an unknown group. */
  setGroupCodeSuggestions(path: string, enabled: boolean): GitlabGroup | undefined {
    const g = this.groups.get(path);
    if (!g) return undefined;
    g.codeSuggestionsEnabled = enabled;
    return { ...g };
  }

  /** Restores the seeded token states and groups (changes made at runtime are forgotten). */
  reset(): void {
    this.tokens = new Map([...this.seededTokens].map(([digest, t]) => [digest, { ...t }]));
    this.groups = new Map([...this.seededGroups].map(([path, g]) => [path, { ...g }]));
  }
}

function publicUser(u: StoredUser): GitlabUser {
  return { id: u.id, username: u.username, name: u.name, admin: u.admin, groups: u.groups, globalId: u.globalId };
}

function utcDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
