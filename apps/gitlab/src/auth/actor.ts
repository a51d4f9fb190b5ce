import type { GitlabUser } from '../identity/identity.service.js';

/** Who an API request acts for, and how it proved it (one variant per API credential). */
export type Actor =
  | { via: 'personal_access_token'; user: GitlabUser; scopes: readonly string[]; tokenName: string; expiresAt?: string }
  | {
      via: 'oauth_access_token';
      user: GitlabUser;
      scopes: readonly string[];
      /** The OAuth application (client_id) the token was issued to. */
      clientId: string;
      /** Seconds since the epoch. */
      expiresAt: number;
    }
  | { via: 'session'; user: GitlabUser };

/**
 * The scopes an actor's token grants, or undefined for a browser session, which is not
 * limited by scopes (GitLab checks scopes of access tokens only: AuthFinders'
 * `validate_and_save_access_token!`).
 */
export function tokenScopes(actor: Actor): readonly string[] | undefined {
  return actor.via === 'session' ? undefined : actor.scopes;
}
