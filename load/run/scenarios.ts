/**
 * The Locust scenarios of load/locust/ and how the CLI runs each: default users and run time,
 * a smoke's (CI: a few users for a few seconds, loopback only), what it needs beyond a PAT,
 * and the environment variables a smoke sets for it (a user's own values win).
 */
export const SCENARIOS = ['keystroke', 'token-storm', 'rotation', 'jwks-outage', 'oauth-introspection', 'ramp'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface ScenarioPlan {
  /** Locust users (IDEs); ignored by `ramp`, whose shape sets them. */
  users: number;
  /** Seconds (Locust --run-time). */
  durationSeconds: number;
  smoke: { users: number; durationSeconds: number; env?: Record<string, string> };
  /** The harness control API of GitLab SaaS (signing keys, OIDC availability). */
  needsControl: boolean;
  /** Opaque OAuth access tokens of the Web IDE's application (seed 000 option 1). */
  needsOAuthTokens: boolean;
}

export const PLANS: Readonly<Record<ScenarioName, ScenarioPlan>> = {
  // 64 IDEs at a mean cadence of 0.125 s: about 500 completions/s, issue 10's keystroke target.
  keystroke: { users: 64, durationSeconds: 60, smoke: { users: 2, durationSeconds: 5 }, needsControl: false, needsOAuthTokens: false },
  'token-storm': { users: 20, durationSeconds: 30, smoke: { users: 4, durationSeconds: 4 }, needsControl: false, needsOAuthTokens: false },
  rotation: { users: 10, durationSeconds: 60, smoke: { users: 2, durationSeconds: 7, env: { LOAD_ROTATE_AT_S: '2' } }, needsControl: true, needsOAuthTokens: false },
  'jwks-outage': {
    users: 10,
    durationSeconds: 60,
    smoke: { users: 2, durationSeconds: 7, env: { LOAD_OUTAGE_AT_S: '2', LOAD_OUTAGE_SECONDS: '3' } },
    needsControl: true,
    needsOAuthTokens: false,
  },
  'oauth-introspection': { users: 10, durationSeconds: 60, smoke: { users: 2, durationSeconds: 5 }, needsControl: false, needsOAuthTokens: true },
  ramp: {
    users: 5,
    durationSeconds: 300,
    smoke: { users: 2, durationSeconds: 8, env: { LOAD_RAMP_STEP_S: '2', LOAD_RAMP_STEP_USERS: '1', LOAD_RAMP_MAX_USERS: '3' } },
    needsControl: false,
    needsOAuthTokens: false,
  },
};

/** OAuth tokens minted for `oauth-introspection`: one per user, at most this many (each is a browser sign-in). */
export const MAX_OAUTH_TOKENS = 5;
