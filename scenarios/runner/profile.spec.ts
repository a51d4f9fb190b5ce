import { readFileSync, writeFileSync } from 'node:fs';
import { DEMO_THIRD_PARTY_OAUTH_CLIENT_ID, WEB_IDE_OAUTH_APPLICATION, demoFixturePath, demoToken, readDemoFixture } from '#contracts';
import { join } from 'node:path';
import { UsageError } from './errors.js';
import { credentialsFor, loadTargetProfile, mergeProfiles, parseTargetOverride, readEmbeddedProfile, readProfileFile } from './profile.js';
import { tempDir } from './test/helpers.js';

function writeProfile(name: string, text: string): string {
  const file = join(tempDir('aah-profile-'), name);
  writeFileSync(file, text);
  return file;
}

function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('target profiles', () => {
  it('loads the embedded profile with the demo credentials in the camelCase shape of GitlabCredentials', () => {
    const profile = mergeProfiles(readEmbeddedProfile());
    const saas = credentialsFor(profile, 'gitlab-saas');
    expect(saas.user?.username).toBe('saas-developer');
    expect(saas.personalAccessTokens.ai_features).toMatch(/^glpat-/);
    expect(credentialsFor(profile, 'gitlab-sm').serviceAccessToken).toMatch(/^glpat-/);
    expect(profile.roles['ai-gateway'].url).toBeUndefined();
    expect(profile.options.timeoutMs).toBe(10000);
  });

  it('does not give a role pointed at a URL the demo credentials of the embedded profile', () => {
    const profile = mergeProfiles(readEmbeddedProfile(), { roles: { 'gitlab-saas': { url: 'https://gitlab.example.com/' } } });
    expect(profile.roles['gitlab-saas'].url).toBe('https://gitlab.example.com');
    expect(credentialsFor(profile, 'gitlab-saas')).toEqual({ personalAccessTokens: {} });
    // The embedded SM keeps its demo credentials.
    expect(credentialsFor(profile, 'gitlab-sm').user?.username).toBe('sm-developer');
  });

  it('takes the credentials and control token of a URL role from the user profile only', () => {
    const profile = mergeProfiles(readEmbeddedProfile(), {
      roles: {
        'gitlab-saas': {
          url: 'https://gitlab.example.com',
          control_token: 'ctl-token-of-a-running-stack',
          credentials: { personal_access_tokens: { api: 'glpat-real-api-token' } },
        },
      },
    });
    expect(credentialsFor(profile, 'gitlab-saas')).toEqual({ personalAccessTokens: { api: 'glpat-real-api-token' } });
    expect(profile.roles['gitlab-saas'].control_token).toBe('ctl-token-of-a-running-stack');
  });

  it('treats --target like a url in the profile: the demo credentials are dropped, the user profile credentials kept', () => {
    const bare = mergeProfiles(readEmbeddedProfile(), undefined, [parseTargetOverride('gitlab-sm=http://127.0.0.1:9000')]);
    expect(bare.roles['gitlab-sm']).toEqual({ url: 'http://127.0.0.1:9000' });
    const withUser = mergeProfiles(
      readEmbeddedProfile(),
      { roles: { 'gitlab-sm': { credentials: { service_access_token: 'glpat-mine' } } } },
      [parseTargetOverride('gitlab-sm=http://127.0.0.1:9000')],
    );
    expect(credentialsFor(withUser, 'gitlab-sm')).toEqual({ personalAccessTokens: {}, serviceAccessToken: 'glpat-mine' });
  });

  it('lets the last --target for a role win over the profile url', () => {
    const profile = mergeProfiles(readEmbeddedProfile(), { roles: { 'ai-gateway': { url: 'http://a.example' } } }, [
      parseTargetOverride('ai-gateway=http://b.example'),
      parseTargetOverride('ai-gateway=http://c.example'),
    ]);
    expect(profile.roles['ai-gateway'].url).toBe('http://c.example');
  });

  it('rejects an unknown role, naming the file and the JSON pointer', () => {
    const file = writeProfile('bad-role.yaml', 'roles:\n  gitlab-sass:\n    url: http://127.0.0.1:1\n');
    const message = usageMessage(() => readProfileFile(file));
    expect(message).toContain(file);
    expect(message).toContain("/roles/gitlab-sass: unknown role 'gitlab-sass'");
    expect(message).toContain('gitlab-saas');
  });

  it('rejects unknown keys, non-http URLs and bad ports with their pointers', () => {
    const file = writeProfile(
      'bad.yaml',
      [
        'roles:',
        '  ai-gateway:',
        '    url: ftp://gw.example',
        '    port: 70000',
        '    credentials:',
        '      personal_access_tokens: { api: glpat-x, sudo: glpat-y }',
        'options: { timeout_ms: 0, colour: true }',
      ].join('\n'),
    );
    const message = usageMessage(() => readProfileFile(file));
    expect(message).toContain('/roles/ai-gateway/url: must be an http:// or https:// URL');
    expect(message).toContain('/roles/ai-gateway/port');
    expect(message).toContain("/roles/ai-gateway/credentials/personal_access_tokens/sudo: unknown key 'sudo'");
    expect(message).toContain('/options/timeout_ms');
    expect(message).toContain("/options/colour: unknown key 'colour'");
  });

  it('reads JSON profiles and resolves seed_file against the profile folder', () => {
    const dir = tempDir('aah-seed-');
    writeFileSync(join(dir, 'seed.yaml'), readFileSync(demoFixturePath(), 'utf8'));
    const file = join(dir, 'p.json');
    writeFileSync(file, JSON.stringify({ name: 'mine', options: { seed_file: 'seed.yaml', timeout_ms: 2500 } }));
    const profile = loadTargetProfile({ profileFile: file });
    expect(profile.name).toBe('mine');
    expect(profile.options).toEqual({ timeoutMs: 2500, seedFile: join(dir, 'seed.yaml') });
    expect(profile.source).toBe(file);
  });

  it('reads the demo credentials it names from the seed it is given, and names what the seed lacks', () => {
    const dir = tempDir('aah-seed-');
    writeFileSync(join(dir, 'seed.yaml'), readFileSync(demoFixturePath(), 'utf8').replace('glpat-saas-dev-ai-features', 'glpat-my-own-ai-features-token'));
    writeFileSync(join(dir, 'p.yaml'), 'options: { seed_file: seed.yaml }\n');
    const profile = loadTargetProfile({ profileFile: join(dir, 'p.yaml') });
    expect(credentialsFor(profile, 'gitlab-saas').personalAccessTokens.ai_features).toBe('glpat-my-own-ai-features-token');
    expect(credentialsFor(profile, 'gitlab-sm').serviceAccessToken).toBe(demoToken(readDemoFixture(), 'sm-service-account/sm-relay'));

    writeFileSync(join(dir, 'lacking.yaml'), 'roles:\n  gitlab-sm:\n    demo_credentials: { user: sm-nobody }\n');
    expect(usageMessage(() => loadTargetProfile({ profileFile: join(dir, 'lacking.yaml') }))).toMatch(
      /^profile: \/roles\/gitlab-sm\/demo_credentials\/user: the demo data has no user 'sm-nobody' .*give the role's credentials in your profile instead$/,
    );
  });

  it('reads the OAuth applications it names from the demo data (secret, first redirect URI, scopes, trusted) and names one the data lacks', () => {
    const apps = credentialsFor(mergeProfiles(readEmbeddedProfile()), 'gitlab-saas').oauthApplications;
    expect(apps?.webIde).toEqual({ clientId: WEB_IDE_OAUTH_APPLICATION.CLIENT_ID, redirectUri: '/oauth/ide/callback', scopes: ['api'], trusted: true });
    expect(apps?.thirdParty).toEqual({ clientId: DEMO_THIRD_PARTY_OAUTH_CLIENT_ID, clientSecret: 'gloas-demo-third-party-secret', redirectUri: 'http://localhost:5999/callback', scopes: ['api', 'read_user', 'openid', 'profile', 'email'] });

    const written = readProfileFile(writeProfile('oauth.yaml', 'roles:\n  gitlab-saas:\n    url: "https://gitlab.example"\n    credentials:\n      oauth_applications:\n        web_ide: { client_id: ide, redirect_uri: /oauth/ide/callback }\n'));
    expect(credentialsFor(mergeProfiles(readEmbeddedProfile(), written), 'gitlab-saas').oauthApplications).toEqual({ webIde: { clientId: 'ide', redirectUri: '/oauth/ide/callback', scopes: [] } });
    expect(usageMessage(() => readProfileFile(writeProfile('no-uri.yaml', 'roles:\n  gitlab-saas:\n    credentials:\n      oauth_applications: { web_ide: { client_id: ide } }\n')))).toContain(
      '/roles/gitlab-saas/credentials/oauth_applications/web_ide',
    );
    const unknown = writeProfile('unknown-app.yaml', 'roles:\n  gitlab-saas:\n    demo_credentials: { oauth_applications: { third_party: no-such-app } }\n');
    expect(usageMessage(() => loadTargetProfile({ profileFile: unknown }))).toMatch(/^profile: \/roles\/gitlab-saas\/demo_credentials\/oauth_applications\/third_party: the demo data has no OAuth application 'no-such-app'/);
  });

  it('resolves an external role\'s log_file against the profile folder, and ignores it for an embedded role', () => {
    const dir = tempDir('aah-log-');
    const file = join(dir, 'p.yaml');
    writeFileSync(file, 'roles:\n  gitlab-sm: { url: "http://sm.example", log_file: logs/sm.log }\n  gitlab-saas: { log_file: saas.log }\n');
    const profile = loadTargetProfile({ profileFile: file });
    expect(profile.roles['gitlab-sm'].log_file).toBe(join(dir, 'logs', 'sm.log'));
    expect(profile.roles['gitlab-saas'].log_file).toBeUndefined();
  });

  it('reports a seed_file that does not exist and a profile that does not parse', () => {
    expect(usageMessage(() => readProfileFile(writeProfile('s.yaml', 'options: { seed_file: nope.yaml }\n')))).toContain('/options/seed_file');
    expect(usageMessage(() => readProfileFile(writeProfile('broken.json', '{"roles": ')))).toContain('cannot be parsed');
    expect(usageMessage(() => readProfileFile('/nonexistent/profile.yaml'))).toContain('does not exist');
  });

  describe('--target ROLE=URL', () => {
    it('parses a role and a base URL', () => {
      expect(parseTargetOverride('ai-gateway=http://127.0.0.1:8080/')).toEqual({ role: 'ai-gateway', url: 'http://127.0.0.1:8080' });
    });

    it.each([
      ['ai-gateway', 'expected ROLE=URL'],
      ['=http://x', 'expected ROLE=URL'],
      ['gateway=http://127.0.0.1:1', "unknown role 'gateway'"],
      ['ai-gateway=not a url', 'is not a URL'],
      ['ai-gateway=ftp://127.0.0.1', 'must be an http:// or https:// URL'],
      ['ai-gateway=http://127.0.0.1:1/?x=1', 'without query'],
    ])('rejects %s', (spec, expected) => {
      expect(usageMessage(() => parseTargetOverride(spec))).toContain(expected);
    });
  });
});
