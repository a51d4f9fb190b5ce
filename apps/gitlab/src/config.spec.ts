import { contractPath } from '#contracts';
import { ConfigError, flagsToSource } from '#common';
import { REPLACED_AUDIENCE_MESSAGE, gitlabSettings, loadGitlabConfig } from './config.js';

function problemsOf(source: Record<string, string>): string[] {
  try {
    loadGitlabConfig(source);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('gitlab config', () => {
  it('defaults to SaaS on 127.0.0.1:3001 with the demo seed and cloud-connector tokens', () => {
    expect(loadGitlabConfig({})).toEqual({
      mode: 'saas',
      port: 3001,
      host: '127.0.0.1',
      url: undefined,
      seedFile: contractPath('fixtures', 'demo-data.yaml'),
      signingKeyFile: undefined,
      aiTokenShape: 'cloud-connector',
      aiTokenIncludeKid: undefined,
      saasUrl: undefined,
      saasTimeoutMs: 10000,
      oauthRegistrationMode: 'rfc7591',
      oauthStoreMaxEntries: 1_000_000,
      controlToken: undefined,
      logLevel: 'info',
      headersTimeoutMs: 10000,
      requestTimeoutMs: 30000,
      accessLog: false,
      aiGatewayUrl: undefined,
      webIdeFrameOrigin: undefined,
      webIdeTokenOption: 'custom-endpoint',
    });
  });

  it('refuses an unknown OAuth registration mode and an unbounded OAuth store', () => {
    expect(problemsOf({ OAUTH_REGISTRATION_MODE: 'doorkeeper', OAUTH_STORE_MAX_ENTRIES: '10' })).toEqual([
      "OAUTH_REGISTRATION_MODE: must be 'rfc7591' or 'gitlab' (got 'doorkeeper')",
      "OAUTH_STORE_MAX_ENTRIES: must be at least 100 (got '10')",
    ]);
  });

  it('defaults self-managed to port 3000 and requires SAAS_URL there', () => {
    expect(problemsOf({ GITLAB_MODE: 'self-managed' })).toEqual(['SAAS_URL: is required when GITLAB_MODE is self-managed']);
    expect(loadGitlabConfig({ GITLAB_MODE: 'self-managed', SAAS_URL: 'http://127.0.0.1:3001/' })).toMatchObject({
      port: 3000,
      saasUrl: 'http://127.0.0.1:3001',
    });
  });

  it('names every bad variable', () => {
    const problems = problemsOf({ PORT: 'abc', GITLAB_MODE: 'cloud', AI_TOKEN_SHAPE: 'other', AI_TOKEN_INCLUDE_KID: 'maybe', GITLAB_URL: 'ftp://x' });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['AI_TOKEN_INCLUDE_KID', 'AI_TOKEN_SHAPE', 'GITLAB_MODE', 'GITLAB_URL', 'PORT']);
    expect(problems.find((p) => p.startsWith('PORT'))).toContain("(got 'abc')");
  });

  it('refuses a short control token', () => {
    expect(problemsOf({ HARNESS_CONTROL_TOKEN: 'short' })[0]).toMatch(/^HARNESS_CONTROL_TOKEN: must be at least 16 characters/);
  });

  it('maps command-line flags onto variables, flags winning over the environment', () => {
    const flags = flagsToSource(gitlabSettings, ['--mode', 'saas', '--port', '0', '--url', 'https://gitlab.example.test/']);
    expect(loadGitlabConfig({ GITLAB_MODE: 'self-managed', ...flags })).toMatchObject({ mode: 'saas', port: 0, url: 'https://gitlab.example.test' });
    expect(() => flagsToSource(gitlabSettings, ['--nope', 'x'])).toThrow(ConfigError);
  });

  it('reads SAAS_TIMEOUT_MS (flag --saas-timeout-ms) and refuses useless values', () => {
    const flags = flagsToSource(gitlabSettings, ['--saas-timeout-ms', '300', '--saas-url', 'http://127.0.0.1:3001']);
    expect(loadGitlabConfig({ GITLAB_MODE: 'self-managed', ...flags })).toMatchObject({ saasTimeoutMs: 300, saasUrl: 'http://127.0.0.1:3001' });
    for (const bad of ['0', '-5', '1.5', 'soon', '600001']) {
      expect(problemsOf({ SAAS_TIMEOUT_MS: bad })[0]).toMatch(/^SAAS_TIMEOUT_MS: must be /);
    }
  });

  it('refuses a SAAS_URL with credentials in it', () => {
    expect(problemsOf({ GITLAB_MODE: 'self-managed', SAAS_URL: 'http://user:secret@127.0.0.1:3001' })[0]).toMatch(/^SAAS_URL: must not contain credentials/);
  });

  it('reads the token shape (flag --ai-token-shape) and an optional kid override', () => {
    expect(loadGitlabConfig({ AI_TOKEN_SHAPE: 'seed-000' })).toMatchObject({ aiTokenShape: 'seed-000', aiTokenIncludeKid: undefined });
    expect(loadGitlabConfig({ AI_TOKEN_SHAPE: 'seed-002', AI_TOKEN_INCLUDE_KID: 'true' })).toMatchObject({ aiTokenShape: 'seed-002', aiTokenIncludeKid: true });
    expect(loadGitlabConfig({ AI_TOKEN_INCLUDE_KID: 'no' })).toMatchObject({ aiTokenShape: 'cloud-connector', aiTokenIncludeKid: false });
    const flags = flagsToSource(gitlabSettings, ['--ai-token-shape', 'seed-002']);
    expect(loadGitlabConfig({ AI_TOKEN_SHAPE: 'seed-000', ...flags }).aiTokenShape).toBe('seed-002');
  });

  it('refuses an unknown token shape listing the allowed ones', () => {
    // apps/common shows no value of a variable whose name says TOKEN, so the value is not echoed.
    expect(problemsOf({ AI_TOKEN_SHAPE: 'gitlab-ai-gateway' })).toEqual([
      "AI_TOKEN_SHAPE: must be one of 'seed-000', 'seed-002', 'cloud-connector' (got '[REDACTED]')",
    ]);
  });

  it('refuses the replaced AI_TOKEN_AUDIENCE, saying which shape carries which audience', () => {
    expect(problemsOf({ AI_TOKEN_AUDIENCE: 'gitlab-code-suggestions' })).toEqual([
      `AI_TOKEN_AUDIENCE: ${REPLACED_AUDIENCE_MESSAGE} (got '[REDACTED]')`,
    ]);
    expect(REPLACED_AUDIENCE_MESSAGE).toContain('seed-000: gitlab-code-suggestions');
  });
});
