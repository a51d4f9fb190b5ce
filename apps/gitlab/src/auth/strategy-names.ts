import { uniqueStrategyName } from '#common';

export { NamedCustomStrategy, NamedLocalStrategy } from '#common';

/**
 * The names this app instance's strategies are registered under (one provider per instance):
 * several gitlab instances share a process in the tests (SaaS and self-managed side by side),
 * each with its own users and sessions, so each gets `<credential>#<n>` (#common uniqueStrategyName).
 */
export class StrategyNames {
  readonly oauthAccessToken: string;
  readonly personalAccessToken: string;
  readonly session: string;
  readonly password: string;

  constructor() {
    this.oauthAccessToken = uniqueStrategyName('gitlab-oauth-access-token');
    this.personalAccessToken = uniqueStrategyName('gitlab-personal-access-token');
    this.session = uniqueStrategyName('gitlab-session');
    this.password = uniqueStrategyName('gitlab-password');
  }
}
