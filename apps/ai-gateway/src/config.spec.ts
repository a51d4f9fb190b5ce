import { ConfigError, flagsToSource } from '#common';
import { aiGatewaySettings, loadAiGatewayConfig, oauthGitlabUrlOf } from './config.js';

const REQUIRED = { AIGW_TRUSTED_ISSUERS: 'https://gitlab.example', AIGW_MODEL_URL: 'http://127.0.0.1:5053' };

function problems(source: Record<string, string>): string[] {
  try {
    loadAiGatewayConfig(source);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe('ai-gateway config', () => {
  it('reads the typed camelCase configuration from the documented variables and flags', () => {
    const flags = flagsToSource(aiGatewaySettings, ['--trusted-issuers', 'https://gitlab.example', '--jwks-ttl-seconds', '60']);
    expect(loadAiGatewayConfig({ AIGW_MODEL_URL: 'http://127.0.0.1:5053/', AIGW_JWKS_TTL_SECONDS: '5', ...flags })).toMatchObject({
      trustedIssuers: ['https://gitlab.example'],
      modelUrl: 'http://127.0.0.1:5053',
      jwksTtlSeconds: 60,
    });
  });

  it('applies the documented defaults', () => {
    expect(loadAiGatewayConfig(REQUIRED)).toMatchObject({
      port: 5052,
      host: '127.0.0.1',
      trustedIssuers: ['https://gitlab.example'],
      audience: 'gitlab-ai-gateway',
      legacyAudienceWindow: 'open',
      algorithms: ['RS256'],
      clockSkewSeconds: 30,
      jwksTtlSeconds: 86400,
      jwksRefetchIntervalMs: 1000,
      jwksNegativeCacheSeconds: 30,
      jwksColdRetryMs: 1000,
      jwksErrorBackoffSeconds: 10,
      jwksStaleIfErrorSeconds: 3600,
      jwksFetchTimeoutMs: 3000,
      jwksMaxBytes: 262144,
      modelTimeoutMs: 10000,
      modelMaxResponseBytes: 1048576,
    });
  });

  it('names every missing required variable', () => {
    const found = problems({});
    expect(found.some((p) => p.startsWith('AIGW_TRUSTED_ISSUERS:'))).toBe(true);
    expect(found.some((p) => p.startsWith('AIGW_MODEL_URL:'))).toBe(true);
  });

  it('splits, trims and de-duplicates the trusted issuers, keeping each exactly as written', () => {
    const config = loadAiGatewayConfig({ ...REQUIRED, AIGW_TRUSTED_ISSUERS: ' https://gitlab.com , https://sm.example/gitlab/,https://gitlab.com' });
    expect(config.trustedIssuers).toEqual(['https://gitlab.com', 'https://sm.example/gitlab/']);
  });

  it('refuses two spellings of one issuer that differ only by a trailing slash, naming both', () => {
    const found = problems({ ...REQUIRED, AIGW_TRUSTED_ISSUERS: 'https://gitlab.com,https://gitlab.com/' });
    expect(found).toEqual([expect.stringMatching(/^AIGW_TRUSTED_ISSUERS: 'https:\/\/gitlab\.com' and 'https:\/\/gitlab\.com\/' name the same issuer/)]);
  });

  it('refuses the removed AIGW_JWKS_MIN_REFETCH_SECONDS, naming what replaces it', () => {
    expect(problems({ ...REQUIRED, AIGW_JWKS_MIN_REFETCH_SECONDS: '10' })).toEqual([
      expect.stringMatching(/^AIGW_JWKS_MIN_REFETCH_SECONDS: removed; use AIGW_JWKS_REFETCH_INTERVAL_MS .* and AIGW_JWKS_ERROR_BACKOFF_SECONDS/),
    ]);
  });

  it.each([['not a url'], ['ftp://gitlab.example'], ['https://gitlab.example?x=1'], [' , ']])('refuses the issuer list %j', (value) => {
    expect(problems({ ...REQUIRED, AIGW_TRUSTED_ISSUERS: value }).some((p) => p.startsWith('AIGW_TRUSTED_ISSUERS:'))).toBe(true);
  });

  it.each([['none'], ['HS256'], ['RS256,HS512'], ['EdDSA']])('refuses the algorithm list %j', (value) => {
    expect(problems({ ...REQUIRED, AIGW_ALGORITHMS: value }).some((p) => p.startsWith('AIGW_ALGORITHMS:'))).toBe(true);
  });

  it('accepts asymmetric algorithm lists', () => {
    expect(loadAiGatewayConfig({ ...REQUIRED, AIGW_ALGORITHMS: 'RS256, PS256,ES384' }).algorithms).toEqual(['RS256', 'PS256', 'ES384']);
  });

  it.each([
    ['AIGW_CLOCK_SKEW_SECONDS', '301'],
    ['AIGW_CLOCK_SKEW_SECONDS', '-1'],
    ['AIGW_LEGACY_AUDIENCE_WINDOW', 'ajar'],
    ['AIGW_JWKS_TTL_SECONDS', '0'],
    ['AIGW_MODEL_TIMEOUT_MS', 'soon'],
    ['AIGW_JWKS_REFETCH_INTERVAL_MS', '60001'],
    ['AIGW_JWKS_COLD_RETRY_MS', '-1'],
    ['AIGW_JWKS_MAX_BYTES', '10'],
    ['AIGW_MODEL_MAX_RESPONSE_BYTES', '1.5'],
  ])('refuses %s=%s', (name, value) => {
    expect(problems({ ...REQUIRED, [name]: value }).some((p) => p.startsWith(`${name}:`))).toBe(true);
  });

  describe('OAuth token verification (seed 000 option 1)', () => {
    it('is off by default, with the documented bounds', () => {
      expect(loadAiGatewayConfig(REQUIRED)).toMatchObject({
        oauthTokenVerification: 'off',
        oauthCacheSeconds: 30,
        oauthNegativeCacheSeconds: 5,
        oauthCacheMaxEntries: 10000,
        oauthLookupsPerSecond: 50,
        oauthTimeoutMs: 2000,
        oauthMaxBytes: 16384,
      });
    });

    it('asks the one trusted issuer by default, AIGW_OAUTH_GITLAB_URL when set', () => {
      expect(oauthGitlabUrlOf(loadAiGatewayConfig({ ...REQUIRED, AIGW_TRUSTED_ISSUERS: 'https://gitlab.example/', AIGW_OAUTH_TOKEN_VERIFICATION: 'token-info' }))).toBe('https://gitlab.example');
      const explicit = loadAiGatewayConfig({ ...REQUIRED, AIGW_OAUTH_TOKEN_VERIFICATION: 'token-info', AIGW_OAUTH_GITLAB_URL: 'https://gitlab.internal/' });
      expect(oauthGitlabUrlOf(explicit)).toBe('https://gitlab.internal');
    });

    it('requires AIGW_OAUTH_GITLAB_URL when option 1 is on and several issuers are trusted', () => {
      const several = { ...REQUIRED, AIGW_TRUSTED_ISSUERS: 'https://gitlab.example,https://customers.example', AIGW_OAUTH_TOKEN_VERIFICATION: 'token-info' };
      expect(problems(several).some((p) => p.startsWith('AIGW_OAUTH_GITLAB_URL: required'))).toBe(true);
      expect(problems({ ...several, AIGW_OAUTH_GITLAB_URL: 'https://gitlab.example' })).toEqual([]);
      expect(problems({ ...several, AIGW_OAUTH_TOKEN_VERIFICATION: 'off' })).toEqual([]);
    });

    it('requires client credentials for introspection, and never repeats the secret in an error', () => {
      const found = problems({ ...REQUIRED, AIGW_OAUTH_TOKEN_VERIFICATION: 'introspection' });
      expect(found.some((p) => p.startsWith('AIGW_OAUTH_CLIENT_ID: required'))).toBe(true);
      expect(found.some((p) => p.startsWith('AIGW_OAUTH_CLIENT_SECRET: required'))).toBe(true);
      expect(problems({ ...REQUIRED, AIGW_OAUTH_TOKEN_VERIFICATION: 'introspection', AIGW_OAUTH_CLIENT_ID: 'gw', AIGW_OAUTH_CLIENT_SECRET: 'x'.repeat(1025) }).join()).not.toContain('xxxx');
    });

    it.each([
      ['AIGW_OAUTH_TOKEN_VERIFICATION', 'jwt'],
      ['AIGW_OAUTH_CACHE_SECONDS', '301'],
      ['AIGW_OAUTH_NEGATIVE_CACHE_SECONDS', '61'],
      ['AIGW_OAUTH_LOOKUPS_PER_SECOND', '0'],
      ['AIGW_OAUTH_GITLAB_URL', 'ftp://gitlab.example'],
    ])('refuses %s=%s', (name, value) => {
      expect(problems({ ...REQUIRED, [name]: value }).some((p) => p.startsWith(`${name}:`))).toBe(true);
    });
  });

  describe('AIGW_AUTH_GUARD=benchmark-bypass (verifies nothing)', () => {
    it.each(['127.0.0.1', '127.0.0.2', 'localhost', '::1'])('is accepted on loopback HOST=%s', (host) => {
      expect(problems({ ...REQUIRED, AIGW_AUTH_GUARD: 'benchmark-bypass', HOST: host })).toEqual([]);
    });

    it.each(['0.0.0.0', '10.0.0.5', '::', 'gateway.example'])('is refused on HOST=%s, naming why', (host) => {
      expect(problems({ ...REQUIRED, AIGW_AUTH_GUARD: 'benchmark-bypass', HOST: host })).toEqual([expect.stringMatching(/^AIGW_AUTH_GUARD: .*only for a gateway listening on loopback/)]);
    });
  });
});
