import { createPublicKey, verify } from 'node:crypto';
import { Writable } from 'node:stream';
import { HEADER, type Jwks } from '../../../../contracts/src/index.js';
import { type ConfigSource, type Logger, createLogger } from '../../../common/src/index.js';
import { loadGitlabConfig } from '../config.js';
import { type RunningGitlab, startGitlab } from '../app.js';

export const CONTROL_TOKEN = 'e2e-control-token-0123456789';

/** Demo data of contracts/fixtures/demo-data.yaml the tests rely on. */
export const DEMO = {
  password: 'duo-demo-password',
  developer: 'saas-developer',
  noDuo: 'saas-no-duo',
  serviceAccount: 'sm-service-account',
  instanceId: '5a0b6c1e-6d2f-4c1b-9f3e-0e2a5b7c9d11',
  pat: {
    aiFeatures: 'glpat-saas-dev-ai-features',
    api: 'glpat-saas-dev-api',
    readUser: 'glpat-saas-dev-read-user',
    revoked: 'glpat-saas-dev-revoked',
    expired: 'glpat-saas-dev-expired',
    noDuoApi: 'glpat-saas-noduo-api',
    service: 'glpat-saas-sm-service',
  },
} as const;

/** Collects a logger's JSON lines in memory. */
export function captureLogger(level = 'info'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  let partial = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      const parts = (partial + chunk.toString('utf8')).split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts.filter(Boolean));
      done();
    },
  });
  return { logger: createLogger({ app: 'gitlab', level, destination: stream }), lines };
}

export interface TestGitlab extends RunningGitlab {
  close(): Promise<void>;
  /** Calls the harness control API with its token. */
  control(method: string, path: string, body?: unknown): Promise<Response>;
}

/** Starts the app on a free port from env-style settings (PORT=0, control API on, quiet logs). */
export async function startTestGitlab(source: ConfigSource = {}, logger?: Logger): Promise<TestGitlab> {
  const config = loadGitlabConfig({ PORT: '0', HARNESS_CONTROL_TOKEN: CONTROL_TOKEN, LOG_LEVEL: 'silent', ...source });
  const running = await startGitlab(config, { logger: logger ?? createLogger({ app: 'gitlab', level: 'silent' }) });
  return {
    ...running,
    close: () => running.app.close(),
    control: (method, path, body) =>
      fetch(`${running.url}${path}`, {
        method,
        headers: { [HEADER.HARNESS_CONTROL]: CONTROL_TOKEN, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
  };
}

export function decodeJwt(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const [h, p] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h ?? '', 'base64url').toString('utf8')) as Record<string, unknown>,
    claims: JSON.parse(Buffer.from(p ?? '', 'base64url').toString('utf8')) as Record<string, unknown>,
  };
}

/** Verifies a compact JWS against a JWKS with node:crypto only (no JOSE library in the loop). */
export function verifiesAgainst(token: string, jwks: Jwks): boolean {
  const [h, p, s] = token.split('.');
  const kid = decodeJwt(token).header.kid;
  const candidates = kid === undefined ? jwks.keys : jwks.keys.filter((k) => k.kid === kid);
  return candidates.some((jwk) =>
    verify('RSA-SHA256', Buffer.from(`${h}.${p}`), createPublicKey({ key: jwk as never, format: 'jwk' }), Buffer.from(s ?? '', 'base64url')),
  );
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
