/**
 * How the ide-client-oauth scenario drives an IDE client under test: a command (the profile's
 * `roles.ide-client.command`) run once per user action, with the action as its last argument
 * and the deployment in its environment. The IDE client keeps its registration and tokens in
 * IDE_CLIENT_HOME between runs (seed 003: stored per deployment), opens authorization URLs with
 * the BROWSER command, and ends each action with an exit code. The scenario judges what the
 * client did from the traffic its authorization server observed; the exit code and stderr are
 * shown in the report.
 */

/** The environment variables an IDE client under test is given. */
export const IDE_CLIENT_ENV = {
  /** The deployment's issuer identifier (RFC 8414 §2); metadata at `<issuer>/.well-known/oauth-authorization-server`. */
  ISSUER: 'IDE_CLIENT_ISSUER',
  /** A folder of the client's own for what it stores between actions (created, empty at the first action of a check). */
  HOME: 'IDE_CLIENT_HOME',
  /** A protected resource (GET, `Authorization: Bearer`, RFC 6750 §2.1) that the `call` action requests. */
  RESOURCE_URL: 'IDE_CLIENT_RESOURCE_URL',
  /** The system browser: a command run with the authorization URL as its one argument (the `BROWSER` convention). */
  BROWSER: 'BROWSER',
  /** Optional: the scope to register and ask for (space-separated, RFC 6749 §3.3); the server's default when unset. */
  SCOPE: 'IDE_CLIENT_SCOPE',
} as const;

/**
 * The actions, as the command's last argument:
 * - `sign-in`: discover, register if needed, PKCE sign-in through BROWSER, token exchange;
 * - `call N`: N concurrent GETs of IDE_CLIENT_RESOURCE_URL with the session's access token
 *   (refreshing as the client does); N defaults to 1;
 * - `sign-out`: revoke the tokens and forget the session.
 */
export const IDE_CLIENT_ACTIONS = ['sign-in', 'call', 'sign-out'] as const;
export type IdeClientAction = (typeof IDE_CLIENT_ACTIONS)[number];

/** Exit codes: 0 the action succeeded; 1 it failed (the reason on stderr); 2 a usage error. */
export const IDE_CLIENT_EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const;
