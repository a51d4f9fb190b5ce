import { ExchangeRecorder } from './recording/recorder.js';
import { defaultRoleTable, type LaunchContext } from './stack/role-table.js';
import { resolveTargets, rolesNeeded, rolesToStart } from './targets.js';
import { testProfile } from './test/helpers.js';
import type { ScenarioDefinition } from './types.js';

const scenario = (roles: ScenarioDefinition['roles']): ScenarioDefinition => ({ id: 's', title: 't', seeds: [], roles, run: async () => undefined });

describe('roles of a run', () => {
  it('adds what an embedded gateway needs (its trusted issuers and the model) and what an embedded SM needs (SaaS)', () => {
    // The embedded profile's gateway trusts both instances.
    expect(rolesToStart([scenario(['ai-gateway'])], testProfile())).toEqual(['fake-model', 'gitlab-saas', 'gitlab-sm', 'ai-gateway']);
    const saasOnly = testProfile({ roles: { 'ai-gateway': { trusted_issuers: ['gitlab-saas'] } } });
    expect(rolesToStart([scenario(['ai-gateway'])], saasOnly)).toEqual(['fake-model', 'gitlab-saas', 'ai-gateway']);
    expect(rolesToStart([scenario(['gitlab-sm'])], testProfile())).toEqual(['gitlab-saas', 'gitlab-sm']);
  });

  it('starts nothing for an external gateway and not its dependencies either', () => {
    const profile = testProfile({ roles: { 'ai-gateway': { url: 'http://gw.example' } } });
    expect(rolesNeeded([scenario(['ai-gateway'])], profile)).toEqual(['ai-gateway']);
    expect(rolesToStart([scenario(['ai-gateway'])], profile)).toEqual([]);
  });

  it('still starts the dependencies of an embedded gateway when only the issuer is external', () => {
    const profile = testProfile({ roles: { 'gitlab-saas': { url: 'https://gitlab.example' } } });
    expect(rolesToStart([scenario(['ai-gateway'])], profile)).toEqual(['fake-model', 'gitlab-sm', 'ai-gateway']);
  });

  it('gives embedded roles the run control token and external ones only the profile control_token', () => {
    const profile = testProfile({ roles: { 'gitlab-saas': { url: 'https://gitlab.example', control_token: 'ctl' }, 'ai-gateway': { url: 'http://gw.example' } } });
    const embedded = new Map([['fake-model' as const, { url: 'http://127.0.0.1:5053', logFile: '/tmp/logs/fake-model.log' }]]);
    const targets = resolveTargets(profile, embedded, 'run-token', new ExchangeRecorder());
    expect([...targets.keys()]).toEqual(['gitlab-saas', 'ai-gateway', 'fake-model']);
    expect(targets.get('gitlab-saas')).toMatchObject({ url: 'https://gitlab.example', embedded: false });
    expect(targets.get('gitlab-saas')!.control).toBeDefined();
    expect(targets.get('ai-gateway')!.control).toBeUndefined();
    expect(targets.get('fake-model')).toMatchObject({ url: 'http://127.0.0.1:5053', embedded: true, logFile: '/tmp/logs/fake-model.log' });
    expect(targets.get('gitlab-saas')!.logFile).toBeUndefined();
    expect(targets.get('fake-model')!.control?.role).toBe('fake-model');
  });
});

describe('default role-process table', () => {
  const table = defaultRoleTable('/root');
  const ctx = (role: LaunchContext['role'], port: number, seedFile?: string): LaunchContext => ({
    role,
    port,
    host: '127.0.0.1',
    url: `http://127.0.0.1:${port}`,
    urls: { 'gitlab-saas': 'http://127.0.0.1:3001', 'gitlab-sm': 'http://127.0.0.1:3000', 'fake-model': 'http://127.0.0.1:5053' },
    profile: { ...testProfile(), options: { timeoutMs: 10000, ...(seedFile ? { seedFile } : {}) } },
  });

  it('runs the compiled apps with the documented flags, environment and health paths', () => {
    expect(table['fake-model'].script).toBe('/root/dist/apps/fake-model/src/main.js');
    expect(table['fake-model'].args(ctx('fake-model', 5053))).toEqual(['--port', '5053', '--host', '127.0.0.1']);
    expect(table['fake-model'].healthPath).toBe('/healthz');
    expect(table['gitlab-saas'].script).toBe('/root/dist/apps/gitlab/src/main.js');
    expect(table['gitlab-saas'].args(ctx('gitlab-saas', 3001, '/seed.yaml'))).toEqual([
      '--mode', 'saas', '--port', '3001', '--host', '127.0.0.1', '--url', 'http://127.0.0.1:3001', '--seed', '/seed.yaml',
    ]);
    expect(table['gitlab-saas'].healthPath).toBe('/-/health');
    expect(table['gitlab-sm'].args(ctx('gitlab-sm', 3000))).toEqual(['--mode', 'self-managed', '--port', '3000', '--host', '127.0.0.1', '--url', 'http://127.0.0.1:3000']);
    expect(table['gitlab-sm'].env!(ctx('gitlab-sm', 3000))).toEqual({ SAAS_URL: 'http://127.0.0.1:3001' });
    expect(table['ai-gateway'].script).toBe('/root/dist/apps/ai-gateway/src/main.js');
    expect(table['ai-gateway'].env!(ctx('ai-gateway', 5052))).toEqual({
      AIGW_TRUSTED_ISSUERS: 'http://127.0.0.1:3001,http://127.0.0.1:3000',
      AIGW_MODEL_URL: 'http://127.0.0.1:5053',
      AIGW_CORS_ALLOWED_ORIGINS: 'http://localhost:3001,http://localhost:3000',
      // Seed 000 option 1: OAuth tokens verified at the first trusted issuer, cached the profile's bound.
      AIGW_OAUTH_TOKEN_VERIFICATION: 'token-info',
      AIGW_OAUTH_GITLAB_URL: 'http://127.0.0.1:3001',
      AIGW_OAUTH_CACHE_SECONDS: '2',
    });
    expect(table['ai-gateway'].healthPath).toBe('/monitoring/healthz');
  });

  it("gives each GitLab's Web IDE the run's gateway, and the gateway their editors' origins", () => {
    const withGateway = (role: LaunchContext['role'], port: number): LaunchContext => {
      const c = ctx(role, port);
      return { ...c, urls: { ...c.urls, 'ai-gateway': 'http://127.0.0.1:5052' } };
    };
    expect(table['gitlab-saas'].env!(ctx('gitlab-saas', 3001))).toEqual({});
    expect(table['gitlab-saas'].env!(withGateway('gitlab-saas', 3001))).toEqual({ AI_GATEWAY_URL: 'http://127.0.0.1:5052' });
    expect(table['gitlab-sm'].env!(withGateway('gitlab-sm', 3000))).toEqual({ SAAS_URL: 'http://127.0.0.1:3001', AI_GATEWAY_URL: 'http://127.0.0.1:5052' });
  });
});
