import { z } from 'zod';
import { ConfigError, checkHttpTimeouts, configFields, configHelp, defineConfig, flagsToSource, httpTimeoutsOf, loadConfig, serverSettings } from './config.js';

const spec = defineConfig({
  app: 'app',
  settings: {
    port: { env: 'PORT', flag: 'port', doc: 'listen port', schema: configFields.port().default(5052) },
    gitlabUrl: { env: 'GITLAB_URL', flag: 'url', doc: 'the instance URL', schema: configFields.url() },
    strict: { env: 'STRICT', doc: 'strict mode', schema: configFields.boolean(true) },
  },
  removed: { OLD_SETTING: 'removed; use STRICT' },
});

function problemsOf(load: () => unknown): string[] {
  try {
    load();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  return [];
}

describe('loadConfig', () => {
  it('reads the variables into the typed camelCase configuration, with defaults', () => {
    expect(loadConfig(spec, { GITLAB_URL: 'http://127.0.0.1:3001/' })).toEqual({ port: 5052, gitlabUrl: 'http://127.0.0.1:3001', strict: true });
  });

  it('names every bad variable at once, with the value given', () => {
    let error: unknown;
    try {
      loadConfig({ ...spec, app: 'ai-gateway' }, { PORT: 'eighty', STRICT: 'maybe' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain('ai-gateway: invalid configuration');
    expect(message).toMatch(/PORT: .*\(got 'eighty'\)/);
    expect(message).toMatch(/GITLAB_URL: /);
    expect(message).toMatch(/STRICT: must be 'true' or 'false' \(got 'maybe'\)/);
    expect((error as ConfigError).problems).toHaveLength(3);
  });

  it('refuses a removed variable, naming its replacement', () => {
    expect(problemsOf(() => loadConfig(spec, { GITLAB_URL: 'https://gitlab.example', OLD_SETTING: 'x' }))).toEqual(["OLD_SETTING: removed; use STRICT (got 'x')"]);
  });

  it('never repeats a secret or the credentials of a URL in its message', () => {
    const withSecrets = defineConfig({
      app: 'gitlab',
      settings: {
        controlToken: { env: 'HARNESS_CONTROL_TOKEN', doc: 'secret', schema: z.string().min(64) },
        saasUrl: { env: 'SAAS_URL', doc: 'SaaS', schema: configFields.url().refine(() => false, 'must not carry credentials') },
      },
    });
    let message = '';
    try {
      loadConfig(withSecrets, { HARNESS_CONTROL_TOKEN: 'short-but-secret', SAAS_URL: 'https://admin:hunter2@gitlab.example' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/HARNESS_CONTROL_TOKEN: .*\(got '\[REDACTED\]'\)/);
    expect(message).toContain("(got 'https://[REDACTED]@gitlab.example')");
    expect(message).not.toMatch(/short-but-secret|hunter2/);
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig(spec, { GITLAB_URL: 'https://gitlab.example', PORT: '' }).port).toBe(5052);
  });
});

describe('flagsToSource', () => {
  it('maps flags to the variables of the settings', () => {
    expect(flagsToSource(spec, ['--url', 'https://gitlab.example', '--port', '0'])).toEqual({ GITLAB_URL: 'https://gitlab.example', PORT: '0' });
  });

  it('rejects an unknown flag and lists the known ones', () => {
    expect(() => flagsToSource(spec, ['--colour', 'blue'])).toThrow(/--colour[\s\S]*known flags: --port, --url, --help/);
  });

  it('has no flag for a setting without one (a secret stays out of ps)', () => {
    expect(() => flagsToSource(spec, ['--strict', 'false'])).toThrow(ConfigError);
  });
});

describe('configHelp', () => {
  it('lists every variable with its flag, its default and its description, and the removed ones', () => {
    const help = configHelp(spec, 'an example app');
    expect(help.split('\n')[0]).toBe('app: an example app');
    expect(help).toMatch(/PORT, --port +\(default: 5052\)\n +listen port/);
    expect(help).toMatch(/GITLAB_URL, --url +\(default: \(required\)\)\n +the instance URL/);
    expect(help).toMatch(/STRICT +\(default: true\)\n +strict mode/);
    expect(help).toContain('OLD_SETTING: removed; use STRICT');
  });

  it('shows an optional setting as unset and a shownDefault as written', () => {
    const help = configHelp(
      defineConfig({
        app: 'x',
        settings: {
          token: { env: 'HARNESS_CONTROL_TOKEN', doc: 'control', schema: configFields.controlToken() },
          port: { env: 'PORT', doc: 'port', schema: configFields.port().optional(), shownDefault: '3001 (saas)' },
        },
      }),
      'x',
    );
    expect(help).toMatch(/HARNESS_CONTROL_TOKEN +\(default: unset\)/);
    expect(help).toMatch(/PORT +\(default: 3001 \(saas\)\)/);
  });
});

describe('HTTP request bounds', () => {
  const bounds = defineConfig({ app: 'app', settings: serverSettings(0), refine: [checkHttpTimeouts] });
  const problems = (source: Record<string, string>) => problemsOf(() => loadConfig(bounds, source));

  it('defaults to 10 s for the headers and 30 s for the whole request', () => {
    expect(httpTimeoutsOf(loadConfig(bounds, {}))).toEqual({ headersTimeoutMs: 10_000, requestTimeoutMs: 30_000 });
  });

  it('refuses unlimited, fractional, huge and inverted bounds, naming the variable', () => {
    expect(problems({ REQUEST_TIMEOUT_MS: '0' })).toEqual([expect.stringMatching(/^REQUEST_TIMEOUT_MS: must be at least 100/)]);
    expect(problems({ HEADERS_TIMEOUT_MS: '1.5' })).toEqual([expect.stringMatching(/^HEADERS_TIMEOUT_MS: must be a whole number/)]);
    expect(problems({ REQUEST_TIMEOUT_MS: '600001' })).toEqual([expect.stringMatching(/^REQUEST_TIMEOUT_MS: must be at most 600000/)]);
    expect(problems({ HEADERS_TIMEOUT_MS: '5000', REQUEST_TIMEOUT_MS: '1000' })).toEqual([
      "HEADERS_TIMEOUT_MS: must not exceed REQUEST_TIMEOUT_MS (1000): the headers are part of the request (got '5000')",
    ]);
  });
});
