import { demoInstance, demoToken, demoUser, readDemoFixture } from '#contracts';
import { startTestApp, type TestApp } from '#common/testing/app';
import type { ConfigSource } from '#common';
import { gitlab } from '../app.js';
import type { GitlabConfig } from '../config.js';
import { InstanceInfo } from '../instance/instance-info.js';

const fixture = readDemoFixture();
const token = (ref: string) => demoToken(fixture, ref);
const selfManaged = demoInstance(fixture, 'self-managed');

/**
 * The demo users and tokens the tests use, read from contracts/fixtures/demo-data.yaml (the
 * names are the tests' choice; every value comes from the fixture).
 */
export const DEMO = {
  password: demoUser(fixture, 'saas-developer').password,
  developer: 'saas-developer',
  noDuo: 'saas-no-duo',
  serviceAccount: 'sm-service-account',
  instanceId: fixture.saas.instance_id,
  pat: {
    aiFeatures: token('saas-developer/ai-features'),
    api: token('saas-developer/api'),
    readUser: token('saas-developer/read-user'),
    revoked: token('saas-developer/revoked'),
    expired: token('saas-developer/expired'),
    noDuoApi: token('saas-no-duo/api'),
    service: token('sm-service-account/sm-relay'),
  },
  sm: {
    instanceId: selfManaged.instance_id,
    developer: 'sm-developer',
    admin: 'sm-admin',
    pat: { api: token('sm-developer/api'), aiFeatures: token('sm-developer/ai-features'), admin: token('sm-admin/api') },
    /** The seeded ai_access_token: the SaaS service account's PAT (seed 001). */
    storedToken: selfManaged.settings!.ai_access_token!,
  },
} as const;

export interface TestGitlab extends TestApp<GitlabConfig> {
  /** The external URL (GITLAB_URL, or the bound loopback URL): the OIDC issuer. */
  issuer: string;
}

/** Starts the gitlab app in-process from env-style settings (SaaS unless GITLAB_MODE says otherwise). */
export async function startTestGitlab(source: ConfigSource = {}): Promise<TestGitlab> {
  const running = await startTestApp(gitlab, source);
  return { ...running, issuer: running.app.get(InstanceInfo).url };
}

/** Signs in through the form and returns the session cookie and the page's CSRF token. */
export async function signIn(baseUrl: string, username: string, password: string): Promise<{ cookie: string; csrfToken: string }> {
  const res = await fetch(`${baseUrl}/users/sign_in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ 'user[login]': username, 'user[password]': password }).toString(),
  });
  if (res.status !== 302) throw new Error(`sign-in failed: ${res.status}`);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const home = await (await fetch(`${baseUrl}/`, { headers: { cookie }, redirect: 'manual' })).text();
  const csrfToken = /<meta name="csrf-token" content="([^"]+)">/.exec(home)?.[1];
  if (!csrfToken) throw new Error('no csrf-token meta tag on /');
  return { cookie, csrfToken };
}
