/**
 * Steps 1-7 of seed 001: the admin persona (a service account on SaaS, its token stored on the
 * self-managed instance) and the developer persona (a PAT, configured in the IDE).
 */
import { GITLAB_ERROR, HEADER, PATH, SCHEMA, type Jwks, type OpenIdConfiguration } from '../../../contracts/src/index.js';
import { expectError, expectNotEchoed, expectSchema, expectStatus, expectThat } from '../../checks/expect.js';
import { reachable } from '../../checks/urls.js';
import type { ScenarioContext } from '../../runner/types.js';
import { idePat, smCredential } from './credentials.js';
import type { SmRelayState } from './state.js';

const bearer = (token: string) => ({ [HEADER.AUTHORIZATION]: `Bearer ${token}` });

export async function personaChecks(ctx: ScenarioContext, state: SmRelayState): Promise<void> {
  const saas = ctx.http('harness', 'gitlab-saas');
  const sm = ctx.http('harness', 'gitlab-sm');
  const vscode = ctx.http('ide', 'gitlab-sm');

  state.serviceAccount = await ctx.check(
    {
      id: 'authenticates-the-service-account-at-saas',
      title: 'The service access token (SAT) the admin got from GitLab Inc. authenticates its service account at SaaS',
      severity: 'MUST',
      clauses: ['seed-001.step-1', 'seed-001.step-2', 'seed-001.saas.authenticate'],
    },
    async (scope) => {
      const res = await saas.request({ method: 'GET', path: PATH.GITLAB_USER, headers: bearer(smCredential(ctx, scope, 'serviceAccessToken')), label: 'GET /api/v4/user (SAT)' });
      expectStatus(res, 200);
      const username = (res.json as { username?: unknown } | undefined)?.username;
      expectThat(typeof username === 'string', 'GET /api/v4/user did not name the service account', { expected: { username: 'a string' }, actual: res.json, res });
      return username as string;
    },
  );

  state.saasJwks = await ctx.check(
    {
      id: 'publishes-the-saas-signing-keys',
      title: 'SaaS publishes its signing keys (discovery, then jwks_uri): the relayed JWT will be checked against them',
      severity: 'MUST',
      clauses: ['gitlab.discovery', 'gitlab.jwks.shape'],
    },
    async () => {
      const target = ctx.target('gitlab-saas');
      const discovery = await saas.request({ method: 'GET', path: PATH.OPENID_CONFIGURATION, label: 'GET openid-configuration' });
      expectStatus(discovery, 200);
      expectSchema(discovery.json, SCHEMA.OPENID_CONFIGURATION, 'the discovery document', discovery);
      const jwks = await saas.request({ method: 'GET', path: reachable(target, (discovery.json as OpenIdConfiguration).jwks_uri), label: 'GET JWKS' });
      expectStatus(jwks, 200);
      expectSchema(jwks.json, SCHEMA.JWKS, 'the JWKS', jwks);
      return jwks.json as Jwks;
    },
  );

  await ctx.check(
    {
      id: 'stores-the-service-token-through-the-admin-api',
      title: 'The SM admin stores the SAT with PUT /api/v4/application/settings; the answer confirms it without repeating it',
      severity: 'MUST',
      clauses: ['seed-001.step-3', 'gitlab.settings.admin', 'gitlab.relay.secrecy'],
    },
    async (scope) => {
      const sat = smCredential(ctx, scope, 'serviceAccessToken');
      const res = await sm.request({
        method: 'PUT',
        path: PATH.GITLAB_APPLICATION_SETTINGS,
        headers: bearer(smCredential(ctx, scope, 'admin')),
        json: { ai_access_token: sat },
        label: 'admin: PUT application/settings (store SAT)',
      });
      expectStatus(res, 200);
      expectNotEchoed(res, sat, 'service access token');
      expectThat((res.json as { ai_access_token_set?: unknown })?.ai_access_token_set === true, 'the settings do not say a token is stored', {
        expected: { ai_access_token_set: true },
        actual: res.json,
        res,
      });
    },
  );

  await ctx.check(
    {
      id: 'never-returns-the-stored-token',
      title: 'GET /api/v4/application/settings never returns the stored service access token',
      severity: 'MUST',
      clauses: ['gitlab.relay.secrecy'],
    },
    async (scope) => {
      const res = await sm.request({ method: 'GET', path: PATH.GITLAB_APPLICATION_SETTINGS, headers: bearer(smCredential(ctx, scope, 'admin')), label: 'admin: GET application/settings' });
      expectStatus(res, 200);
      expectNotEchoed(res, smCredential(ctx, scope, 'serviceAccessToken'), 'service access token');
    },
  );

  await ctx.check(
    {
      id: 'refuses-settings-changes-by-non-admins',
      title: 'A developer\'s api token cannot change application settings: 403 {"message":"403 Forbidden"}',
      severity: 'MUST',
      clauses: ['gitlab.settings.admin'],
    },
    async (scope) => {
      const res = await sm.request({
        method: 'PUT',
        path: PATH.GITLAB_APPLICATION_SETTINGS,
        headers: bearer(smCredential(ctx, scope, 'api')),
        json: { ai_access_token: 'glpat-an-attacker-wants-this-stored' },
        label: 'developer: PUT application/settings',
      });
      expectError(res, 403, GITLAB_ERROR.FORBIDDEN);
    },
  );

  await ctx.check(
    {
      id: 'authenticates-the-developer-pat',
      title: 'The PAT the SM user obtained authenticates them at the self-managed instance',
      severity: 'MUST',
      clauses: ['seed-001.step-4', 'seed-001.sm.authenticate'],
    },
    async (scope) => {
      const res = await sm.request({ method: 'GET', path: PATH.GITLAB_USER, headers: bearer(smCredential(ctx, scope, 'api')), label: 'GET /api/v4/user (developer PAT)' });
      expectStatus(res, 200);
    },
  );

  await ctx.check(
    {
      id: 'lets-the-ide-check-the-configured-pat',
      title: 'Configured with the PAT, the IDE reads GET /api/v4/personal_access_tokens/self: active, with ai_features or api',
      severity: 'MUST',
      clauses: ['seed-001.step-6', 'gitlab.pat.self'],
    },
    async (scope) => {
      const res = await vscode.request({ method: 'GET', path: PATH.GITLAB_PAT_SELF, headers: bearer(idePat(ctx, scope)), label: 'IDE: GET personal_access_tokens/self' });
      expectStatus(res, 200);
      const token = res.json as { active?: unknown; scopes?: unknown };
      const scopes = Array.isArray(token?.scopes) ? (token.scopes as string[]) : [];
      expectThat(token?.active === true && (scopes.includes('ai_features') || scopes.includes('api')), 'the configured PAT is not an active token with ai_features or api', {
        expected: { active: true, scopes: ['ai_features | api'] },
        actual: res.json,
        res,
      });
    },
  );
}
