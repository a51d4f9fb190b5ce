/**
 * The branches of seed 001 that end without a JWT: the self-managed instance's 404s (code
 * suggestions off, no stored token) and SaaS's 401s for the relayed account, passed through.
 */
import { FEATURE_FLAG, GITLAB_ERROR, HEADER, PATH } from '../../../contracts/src/index.js';
import { countRequestsDuring, requireControl, withFlag } from '../../checks/control.js';
import { expectError, expectThat } from '../../checks/expect.js';
import type { HttpClient, HttpResponse, ScenarioContext } from '../../runner/types.js';
import { idePat, smCredential } from './credentials.js';
import type { SmRelayState } from './state.js';

interface Group {
  path: string;
}

export async function errorBranchChecks(ctx: ScenarioContext, state: SmRelayState): Promise<void> {
  const sm = ctx.http('harness', 'gitlab-sm');
  const vscode = ctx.http('ide', 'gitlab-sm');
  const admin = (token: string, settings: Record<string, unknown>, label: string) =>
    sm.request({ method: 'PUT', path: PATH.GITLAB_APPLICATION_SETTINGS, headers: { [HEADER.AUTHORIZATION]: `Bearer ${token}` }, json: settings, label });
  const askForJwt = (client: HttpClient, pat: string, label: string): Promise<HttpResponse> =>
    client.request({ method: 'POST', path: PATH.GITLAB_CODE_SUGGESTIONS_TOKENS, headers: { [HEADER.AUTHORIZATION]: `Bearer ${pat}` }, label });

  /** Runs a request while the admin has changed a setting, restoring it afterwards. */
  async function withSetting<T>(adminPat: string, change: Record<string, unknown>, restore: Record<string, unknown>, action: () => Promise<T>): Promise<T> {
    const changed = await admin(adminPat, change, `admin: PUT application/settings ${Object.keys(change).join(', ')}`);
    expectThat(changed.status === 200, 'the admin could not change the setting the check needs', { expected: { status: 200 }, actual: { status: changed.status }, res: changed });
    try {
      return await action();
    } finally {
      await admin(adminPat, restore, 'admin: restore application/settings');
    }
  }

  await ctx.check(
    {
      id: 'hides-the-endpoint-when-code-suggestions-are-off',
      title: 'With code suggestions disabled on the instance the endpoint answers 404, and nothing reaches SaaS',
      severity: 'MUST',
      clauses: ['seed-001.sm.disabled'],
    },
    async (scope) => {
      const adminPat = smCredential(ctx, scope, 'admin');
      const pat = idePat(ctx, scope);
      const saas = ctx.target('gitlab-saas').control;
      let res: HttpResponse | undefined;
      const ask = async () => {
        res = await withSetting(adminPat, { code_suggestions_enabled: false }, { code_suggestions_enabled: true }, () =>
          askForJwt(vscode, pat, 'IDE: POST tokens (code suggestions off)'),
        );
      };
      const relayed = saas ? await countRequestsDuring(saas, [PATH.GITLAB_CODE_SUGGESTIONS_TOKENS], ask) : (await ask(), 0);
      expectError(res!, 404, GITLAB_ERROR.NOT_FOUND);
      expectThat(relayed === 0, 'the instance relayed to SaaS although code suggestions are off', { expected: { relayedRequests: 0 }, actual: { relayedRequests: relayed } });
    },
  );

  await ctx.check(
    {
      id: 'hides-the-endpoint-without-a-stored-token',
      title: 'With no service access token stored the endpoint answers 404',
      severity: 'MUST',
      clauses: ['seed-001.sm.no-token'],
    },
    async (scope) => {
      const sat = smCredential(ctx, scope, 'serviceAccessToken');
      const res = await withSetting(smCredential(ctx, scope, 'admin'), { ai_access_token: null }, { ai_access_token: sat }, () =>
        askForJwt(vscode, idePat(ctx, scope), 'IDE: POST tokens (no stored token)'),
      );
      expectError(res, 404, GITLAB_ERROR.NOT_FOUND);
    },
  );

  await ctx.check(
    {
      id: 'passes-on-saas-401-for-an-unknown-service-token',
      title: 'A stored token SaaS does not know: SaaS\'s 401 reaches the IDE unchanged',
      severity: 'MUST',
      clauses: ['seed-001.saas.authenticate', 'seed-001.sm.proxy'],
    },
    async (scope) => {
      const sat = smCredential(ctx, scope, 'serviceAccessToken');
      const res = await withSetting(smCredential(ctx, scope, 'admin'), { ai_access_token: 'glpat-never-issued-by-saas-000000' }, { ai_access_token: sat }, () =>
        askForJwt(vscode, idePat(ctx, scope), 'IDE: POST tokens (unknown stored token)'),
      );
      expectError(res, 401, GITLAB_ERROR.UNAUTHORIZED);
    },
  );

  await ctx.check(
    {
      id: 'passes-on-saas-401-without-the-instance-admin-flag',
      title: 'SaaS answers 401 when the service account lacks code_suggestions_for_instance_admin_enabled; the IDE gets it',
      severity: 'MUST',
      clauses: ['seed-001.saas.instance-admin-flag', 'seed-001.sm.proxy'],
    },
    async (scope) => {
      const saas = requireControl(ctx, scope, 'gitlab-saas', 'switch the code_suggestions_for_instance_admin_enabled flag off');
      const pat = idePat(ctx, scope);
      const res = await withFlag(saas, FEATURE_FLAG.INSTANCE_ADMIN_ENABLED, { enabled: false }, () => askForJwt(vscode, pat, 'IDE: POST tokens (flag off at SaaS)'));
      expectError(res, 401, GITLAB_ERROR.UNAUTHORIZED);
    },
  );

  await ctx.check(
    {
      id: 'passes-on-saas-401-without-code-suggestions-for-the-account',
      title: 'SaaS answers 401 when none of the service account\'s root groups has code suggestions; the IDE gets it',
      severity: 'MUST',
      clauses: ['seed-001.saas.code-suggestions', 'seed-001.sm.proxy'],
      dependsOn: ['authenticates-the-service-account-at-saas'],
    },
    async (scope) => {
      const saas = requireControl(ctx, scope, 'gitlab-saas', 'turn code suggestions off for the service account\'s groups');
      const sat = smCredential(ctx, scope, 'serviceAccessToken');
      const pat = idePat(ctx, scope);
      const groups = await ctx.http('harness', 'gitlab-saas').request({
        method: 'GET',
        path: PATH.GITLAB_GROUPS,
        headers: { [HEADER.AUTHORIZATION]: `Bearer ${sat}` },
        label: 'GET /api/v4/groups (SAT)',
      });
      const paths = Array.isArray(groups.json) ? (groups.json as Group[]).map((g) => g.path) : [];
      if (!paths.length) return scope.skip(`the service account ${state.serviceAccount ?? ''} is in no group, so there is nothing to turn off`);
      const before = await Promise.all(paths.map((p) => saas.call<{ path: string; code_suggestions_enabled: boolean }>('GET', `/-/harness/groups/${encodeURIComponent(p)}`)));
      try {
        for (const p of paths) await saas.call('PUT', `/-/harness/groups/${encodeURIComponent(p)}`, { code_suggestions_enabled: false });
        expectError(await askForJwt(vscode, pat, 'IDE: POST tokens (groups without code suggestions)'), 401, GITLAB_ERROR.UNAUTHORIZED);
      } finally {
        for (const g of before) await saas.call('PUT', `/-/harness/groups/${encodeURIComponent(g.path)}`, { code_suggestions_enabled: g.code_suggestions_enabled });
      }
    },
  );
}
