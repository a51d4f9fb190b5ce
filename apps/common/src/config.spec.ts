import { z } from 'zod';
import { ConfigError, checkHttpTimeouts, configFields, flagsToSource, httpTimeoutFields, httpTimeoutsOf, loadConfig } from './config.js';

const schema = z.object({
  PORT: configFields.port(5052),
  GITLAB_URL: configFields.url(),
  STRICT: configFields.boolean(true),
});

describe('loadConfig', () => {
  it('applies defaults and types values', () => {
    expect(loadConfig('app', schema, { GITLAB_URL: 'http://127.0.0.1:3001/' })).toEqual({
      PORT: 5052,
      GITLAB_URL: 'http://127.0.0.1:3001',
      STRICT: true,
    });
  });

  it('names every bad variable at once, with the value given', () => {
    let error: unknown;
    try {
      loadConfig('ai-gateway', schema, { PORT: 'eighty', STRICT: 'maybe' });
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

  it('never repeats a secret or the credentials of a URL in its message', () => {
    const withSecrets = z.object({ HARNESS_CONTROL_TOKEN: z.string().min(64), SAAS_URL: configFields.url().refine(() => false, 'must not carry credentials') });
    let message = '';
    try {
      loadConfig('gitlab', withSecrets, { HARNESS_CONTROL_TOKEN: 'short-but-secret', SAAS_URL: 'https://admin:hunter2@gitlab.example' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/HARNESS_CONTROL_TOKEN: .*\(got '\[REDACTED\]'\)/);
    expect(message).toContain("(got 'https://[REDACTED]@gitlab.example')");
    expect(message).not.toMatch(/short-but-secret|hunter2/);
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig('app', schema, { GITLAB_URL: 'https://gitlab.example', PORT: '' }).PORT).toBe(5052);
  });
});

describe('flagsToSource', () => {
  it('maps flags to variable names', () => {
    expect(flagsToSource('gitlab', ['--mode', 'saas', '--port', '0'], { mode: 'GITLAB_MODE', port: 'PORT' })).toEqual({ GITLAB_MODE: 'saas', PORT: '0' });
  });

  it('rejects an unknown flag and lists the known ones', () => {
    expect(() => flagsToSource('gitlab', ['--colour', 'blue'], { mode: 'GITLAB_MODE' })).toThrow(/--colour[\s\S]*known flags: --mode/);
  });
});

describe('HTTP request bounds', () => {
  const withTimeouts = z.object({ ...httpTimeoutFields() }).superRefine(checkHttpTimeouts);
  const problems = (source: Record<string, string>): string[] => {
    try {
      loadConfig('app', withTimeouts, source);
    } catch (e) {
      return (e as ConfigError).problems;
    }
    return [];
  };

  it('defaults to 10 s for the headers and 30 s for the whole request', () => {
    expect(httpTimeoutsOf(loadConfig('app', withTimeouts, {}))).toEqual({ headersTimeoutMs: 10_000, requestTimeoutMs: 30_000 });
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
