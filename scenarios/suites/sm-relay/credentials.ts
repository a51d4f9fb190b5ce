/** The credentials sm-relay needs, each SKIPPING the checks that need it when the profile lacks it. */
import type { CheckScope, GitlabCredentials, ScenarioContext } from '../../runner/types.js';

export function smCredential(
  ctx: ScenarioContext,
  scope: CheckScope,
  what: keyof GitlabCredentials['personalAccessTokens'] | 'serviceAccessToken',
): string {
  const credentials = ctx.credentials('gitlab-sm');
  const value = what === 'serviceAccessToken' ? credentials.serviceAccessToken : credentials.personalAccessTokens[what];
  if (!value) {
    const name = what === 'serviceAccessToken' ? 'service_access_token' : `personal_access_tokens.${what}`;
    return scope.skip(`the target profile gives no gitlab-sm ${name}`);
  }
  return value;
}

/** The PAT the IDE is configured with: ai_features (what IDE extensions ask for), else api. */
export function idePat(ctx: ScenarioContext, scope: CheckScope): string {
  const pats = ctx.credentials('gitlab-sm').personalAccessTokens;
  return pats.ai_features ?? pats.api ?? scope.skip('the target profile gives no gitlab-sm personal access token (ai_features or api)');
}
