import { readFileSync } from 'node:fs';
import { contractPath } from '#contracts';
import { FixtureError, fixtureSection, loadFixtureFile, parseFixture } from './fixture-loader.js';

const FILE = '/seeds/test.yaml';

const valid = `
saas:
  instance_id: 5a0b6c1e-6d2f-4c1b-9f3e-0e2a5b7c9d11
  groups:
    - { path: duo-group, code_suggestions_enabled: true }
  users:
    - id: 1
      username: alice
      password: alice-password
      groups: [duo-group]
      personal_access_tokens:
        - { name: api, token: glpat-alice-api-0000000, scopes: [api] }
    - id: 2
      username: bob
      password: bob-password
`;

function problemsOf(text: string): string[] {
  try {
    parseFixture(text, FILE);
  } catch (e) {
    expect(e).toBeInstanceOf(FixtureError);
    return (e as FixtureError).problems;
  }
  throw new Error('expected a FixtureError');
}

describe('fixture loader', () => {
  it('accepts the demo data of the contracts', () => {
    const fixture = loadFixtureFile(contractPath('fixtures', 'demo-data.yaml'));
    expect(fixture.saas.users.map((u) => u.username)).toContain('saas-developer');
    expect(fixtureSection(fixture, 'self-managed', 'demo').instance_id).toBe('8c3d2e1f-0a9b-4c7d-8e6f-5a4b3c2d1e0f');
  });

  it('accepts a minimal valid file', () => {
    expect(parseFixture(valid, FILE).saas.users).toHaveLength(2);
  });

  it('names the file and the JSON pointer of a schema violation', () => {
    const problems = problemsOf(valid.replace('id: 2', 'id: "two"'));
    expect(problems).toEqual([expect.stringMatching(/^\/seeds\/test\.yaml: \/saas\/users\/1\/id must be integer/)]);
  });

  it('rejects an unknown scope', () => {
    const problems = problemsOf(valid.replace('scopes: [api]', 'scopes: [everything]'));
    expect(problems.join('\n')).toContain('/saas/users/0/personal_access_tokens/0/scopes/0');
  });

  it('reports duplicate usernames case-insensitively, with both places', () => {
    const problems = problemsOf(valid.replace('username: bob', 'username: Alice'));
    expect(problems).toEqual([`${FILE}: /saas/users/1/username: duplicate username 'alice' (first at /saas/users/0/username)`]);
  });

  it('reports duplicate user ids', () => {
    const problems = problemsOf(valid.replace('id: 2', 'id: 1'));
    expect(problems).toEqual([`${FILE}: /saas/users/1/id: duplicate user id '1' (first at /saas/users/0/id)`]);
  });

  it('reports a duplicate token without echoing it', () => {
    const text = valid.replace(
      '      password: bob-password\n',
      '      password: bob-password\n      personal_access_tokens:\n        - { name: copy, token: glpat-alice-api-0000000, scopes: [api] }\n',
    );
    const problems = problemsOf(text);
    expect(problems).toEqual([`${FILE}: /saas/users/1/personal_access_tokens/0/token: duplicate token (first at /saas/users/0/personal_access_tokens/0/token)`]);
    expect(problems.join('')).not.toContain('glpat-alice');
  });

  it('reports a duplicate OAuth client_id, and a confidential application without a secret', () => {
    const apps = `
  oauth_applications:
    - { client_id: app-one-id, name: One, confidential: false, redirect_uris: [/oauth/ide/callback], scopes: [api] }
    - { client_id: app-one-id, name: Two, confidential: false, redirect_uris: ['http://localhost:1/cb'], scopes: [api] }
`;
    expect(problemsOf(valid + apps)).toEqual([`${FILE}: /saas/oauth_applications/1/client_id: duplicate OAuth client_id 'app-one-id' (first at /saas/oauth_applications/0/client_id)`]);
    const noSecret = `
  oauth_applications:
    - { client_id: app-one-id, name: One, confidential: true, redirect_uris: ['http://localhost:1/cb'], scopes: [api] }
`;
    expect(problemsOf(valid + noSecret).join('\n')).toMatch(/oauth_applications\/0.*secret/);
  });

  it('reports a reference to an undefined group', () => {
    const problems = problemsOf(valid.replace('groups: [duo-group]', 'groups: [duo-group, ghost-group]'));
    expect(problems).toEqual([`${FILE}: /saas/users/0/groups/1: group 'ghost-group' is not defined in /saas/groups`]);
  });

  it('reports project members that are not users, and duplicate project paths (case-insensitive) and issue iids', () => {
    const projects = `
  projects:
    - id: 10
      full_path: team/App
      name: App
      members: [{ username: Alice, access_level: developer }, { username: carol, access_level: reporter }]
      issues: [{ iid: 7, title: One }, { iid: 7, title: Two }]
    - { id: 11, full_path: TEAM/app, name: Copy }
`;
    expect(problemsOf(valid + projects)).toEqual([
      `${FILE}: /saas/projects/0/members/1: user 'carol' is not defined in /saas/users`,
      `${FILE}: /saas/projects/0/issues/1/iid: duplicate issue iid of team/App '7' (first at /saas/projects/0/issues/0/iid)`,
      `${FILE}: /saas/projects/1/full_path: duplicate project path 'team/app' (first at /saas/projects/0/full_path)`,
    ]);
  });

  it('reports every cross-check problem at once', () => {
    const problems = problemsOf(valid.replace('username: bob', 'username: alice').replace('groups: [duo-group]', 'groups: [nope]'));
    expect(problems).toHaveLength(2);
  });

  it('reports YAML syntax errors with the file', () => {
    expect(problemsOf('saas: [unclosed')[0]).toMatch(/^\/seeds\/test\.yaml: not valid YAML: /);
  });

  it('reports an unreadable file', () => {
    expect(() => loadFixtureFile('/nonexistent/seed.yaml')).toThrow(/\/nonexistent\/seed\.yaml: cannot read: ENOENT/);
  });

  it('reports the section a mode needs when it is missing', () => {
    const fixture = parseFixture(valid, FILE);
    expect(() => fixtureSection(fixture, 'self-managed', FILE)).toThrow(/\/self-managed: section missing/);
  });

  it('keeps the demo file in the shape the README documents', () => {
    // The demo users' shared password is documented; a change here would break the curl examples.
    expect(readFileSync(contractPath('fixtures', 'demo-data.yaml'), 'utf8')).toContain('password: duo-demo-password');
  });
});
