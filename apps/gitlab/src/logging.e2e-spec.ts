import { HEADER, PATH } from '#contracts';
import { TEST_CONTROL_TOKEN } from '#common/testing/app';
import { DEMO, type TestGitlab, startTestGitlab } from './test/helpers.js';

/**
 * Credentials never reach a log line: personal access tokens (any of the three places),
 * minted JWTs, session cookies, CSRF tokens, passwords and the control token, at the most
 * verbose level.
 */
describe('gitlab logs', () => {
  let gl: TestGitlab;
  let lines: string[];
  const secrets: string[] = [DEMO.password, TEST_CONTROL_TOKEN, ...Object.values(DEMO.pat)];

  beforeAll(async () => {
    gl = await startTestGitlab({ LOG_LEVEL: 'trace', ACCESS_LOG: 'true' });
    lines = gl.lines;
    const url = gl.url;
    const tokensUrl = `${url}${PATH.GITLAB_CODE_SUGGESTIONS_TOKENS}`;

    const minted = (await (await fetch(tokensUrl, { method: 'POST', headers: { authorization: `Bearer ${DEMO.pat.aiFeatures}` } })).json()) as {
      access_token: string;
    };
    secrets.push(minted.access_token, minted.access_token.split('.')[2]!);
    await fetch(tokensUrl, { method: 'POST', headers: { [HEADER.PRIVATE_TOKEN]: DEMO.pat.api } });
    await fetch(`${tokensUrl}?private_token=${DEMO.pat.api}`, { method: 'POST' });
    await fetch(tokensUrl, { method: 'POST', headers: { authorization: `Bearer ${DEMO.pat.revoked}` } });
    await fetch(tokensUrl, { method: 'POST', headers: { authorization: `Bearer ${DEMO.pat.readUser}` } });
    // A JWT presented where a PAT is expected (unknown token).
    await fetch(`${url}${PATH.GITLAB_USER}`, { headers: { authorization: `Bearer ${minted.access_token}` } });

    const signIn = await fetch(`${url}/users/sign_in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: { login: DEMO.developer, password: DEMO.password } }),
    });
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0]!;
    const sessionId = cookie.split('=')[1]!;
    const home = await (await fetch(`${url}/`, { headers: { cookie } })).text();
    const csrfToken = /<meta name="csrf-token" content="([^"]+)">/.exec(home)![1]!;
    secrets.push(sessionId, csrfToken);
    const viaSession = (await (await fetch(tokensUrl, { method: 'POST', headers: { cookie, [HEADER.CSRF_TOKEN]: csrfToken } })).json()) as {
      access_token: string;
    };
    secrets.push(viaSession.access_token);
    await fetch(`${url}/users/sign_in`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `user%5Blogin%5D=${DEMO.developer}&user%5Bpassword%5D=${DEMO.password}-wrong`,
    });
    const crafted = (await (await gl.control('POST', '/-/harness/tokens', { claims: { exp: 1 } })).json()) as { token: string };
    secrets.push(crafted.token);
    await fetch(`${url}/-/harness/keys`, { headers: { [HEADER.HARNESS_CONTROL]: `${TEST_CONTROL_TOKEN}-wrong` } });
    await fetch(`${url}/users/sign_out`, { method: 'POST', redirect: 'manual', headers: { cookie, [HEADER.CSRF_TOKEN]: csrfToken } });
  });

  afterAll(async () => {
    await gl.close();
  });

  it('logged the requests (the capture works)', () => {
    const urls = lines.map((l) => (JSON.parse(l) as { req?: { url?: string } }).req?.url).filter(Boolean);
    expect(urls).toEqual(expect.arrayContaining([PATH.GITLAB_CODE_SUGGESTIONS_TOKENS, '/users/sign_in', '/users/sign_out', PATH.GITLAB_USER]));
    expect(urls).toContain(`${PATH.GITLAB_CODE_SUGGESTIONS_TOKENS}?private_token=%5BREDACTED%5D`);
    expect(secrets.length).toBeGreaterThanOrEqual(14);
  });

  it('contains no credential in any line', () => {
    const leaks = secrets.filter((secret) => lines.some((line) => line.includes(secret)));
    expect(leaks).toEqual([]);
    expect(lines.join('\n')).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+\./);
    expect(lines.join('\n')).not.toMatch(/glpat-[a-z]/);
  });
});
