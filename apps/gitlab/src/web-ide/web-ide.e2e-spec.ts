import { GITLAB_ERROR, type Jwks, PATH, SCHEMA, WEB_IDE_PATH, compileValidator } from '#contracts';
import { ConfigError } from '#common';
import { decodeJwt, verifiesAgainst } from '#common/testing/jwt';
import { loadGitlabConfig } from '../config.js';
import { DEMO, type TestGitlab, signIn, startTestGitlab } from '../test/helpers.js';

/**
 * The Web IDE over HTTP: the host page and the editor frame as served (the browser drives them
 * in scenarios/browser), and the IDE controller's token endpoint (seed 000, option 3).
 */
const validate = { token: compileValidator(SCHEMA.CODE_SUGGESTIONS_TOKEN_RESPONSE), message: compileValidator(SCHEMA.GITLAB_MESSAGE_ERROR) };
const GATEWAY = 'http://127.0.0.1:5052';
const configOf = (html: string) => JSON.parse(/<script type="application\/json" id="web-ide-config">([\s\S]*?)<\/script>/.exec(html)![1]!) as Record<string, unknown>;

describe('the Web IDE (SaaS)', () => {
  let gl: TestGitlab;
  const frameOrigin = () => gl.url.replace('127.0.0.1', 'localhost');
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${gl.url}${path}`, { headers, redirect: 'manual' });
  const ideToken = (headers: Record<string, string> = {}) => fetch(`${gl.url}${WEB_IDE_PATH.TOKENS}`, { method: 'POST', headers });
  const apiToken = (headers: Record<string, string>) => fetch(`${gl.url}${PATH.GITLAB_CODE_SUGGESTIONS_TOKENS}`, { method: 'POST', headers });

  beforeAll(async () => {
    gl = await startTestGitlab({ AI_GATEWAY_URL: GATEWAY });
  });
  afterAll(async () => {
    await gl.close();
  });
  afterEach(async () => {
    expect((await gl.control('POST', '/-/harness/reset')).status).toBe(204);
  });

  describe('GET /-/ide (the host page)', () => {
    it('sends a signed-out visitor to sign in, and back to the IDE once signed in (Devise stored location)', async () => {
      const visit = `${WEB_IDE_PATH.HOST}?token_option=ide-controller`;
      const res = await get(visit);
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe(PATH.GITLAB_SIGN_IN);
      const returnTo = res.headers.getSetCookie().find((c) => c.startsWith('user_return_to='))!;
      expect(returnTo).toContain('HttpOnly');

      const signedIn = await fetch(`${gl.url}${PATH.GITLAB_SIGN_IN}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: returnTo.split(';')[0]! },
        body: new URLSearchParams({ 'user[login]': DEMO.developer, 'user[password]': DEMO.password }),
      });
      expect(signedIn.status).toBe(302);
      expect(decodeURIComponent(signedIn.headers.get('location')!)).toBe(visit);
      // The stored location is used once.
      expect(signedIn.headers.getSetCookie().some((c) => /^user_return_to=;/.test(c))).toBe(true);
    });

    it('never stores a location on another host (no open redirect)', async () => {
      for (const hostile of ['//evil.example/x', '/\\evil.example/x']) {
        const res = await fetch(`${gl.url}${PATH.GITLAB_SIGN_IN}`, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `user_return_to=${encodeURIComponent(hostile)}` },
          body: new URLSearchParams({ 'user[login]': DEMO.developer, 'user[password]': DEMO.password }),
        });
        expect(res.status).toBe(302);
        expect(res.headers.get('location')).toBe('/');
      }
    });

    it('serves the signed-in user the mediator with the session\'s CSRF token and the frame on the other origin', async () => {
      const { cookie, csrfToken } = await signIn(gl.url, DEMO.developer, DEMO.password);
      const res = await get(WEB_IDE_PATH.HOST, { cookie });
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).toContain(`<meta name="csrf-token" content="${csrfToken}">`);
      expect(html).toContain(`src="${frameOrigin()}${WEB_IDE_PATH.FRAME}"`);
      expect(configOf(html)).toMatchObject({ tokenOption: 'custom-endpoint', hostOrigin: gl.url, frameOrigin: frameOrigin() });
      expect(res.headers.get('content-security-policy')).toContain(`frame-src ${frameOrigin()};`);
      expect(res.headers.get('cache-control')).toBe('no-store');
    });

    it('takes the token option from the query, once, and only a known one', async () => {
      const { cookie } = await signIn(gl.url, DEMO.developer, DEMO.password);
      expect(configOf(await (await get(`${WEB_IDE_PATH.HOST}?token_option=ide-controller`, { cookie })).text()).tokenOption).toBe('ide-controller');
      const unknown = await get(`${WEB_IDE_PATH.HOST}?token_option=jwt`, { cookie });
      expect(unknown.status).toBe(400);
      expect(await unknown.json()).toEqual({ message: "400 Bad request - token_option must be one of 'oauth-pkce', 'custom-endpoint', 'ide-controller'" });
      const twice = await get(`${WEB_IDE_PATH.HOST}?token_option=ide-controller&token_option=custom-endpoint`, { cookie });
      expect(twice.status).toBe(400);
      expect(await twice.json()).toEqual({ message: '400 Bad request - token_option must be given once' });
    });
  });

  describe('GET /-/ide/frame (the editor)', () => {
    it('is served without a session, framed only by the host origin, calling only the gateway', async () => {
      const res = await fetch(`${frameOrigin()}${WEB_IDE_PATH.FRAME}`);
      expect(res.status).toBe(200);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain(`frame-ancestors ${gl.url}`);
      expect(csp).toContain(`connect-src ${GATEWAY};`);
      expect(configOf(await res.text())).toMatchObject({ hostOrigin: gl.url, gatewayUrl: GATEWAY });
    });
  });

  describe('POST /-/ide/code_suggestions/tokens (option 3)', () => {
    it('signs the same token as option 2 for the signed-in session with its CSRF token', async () => {
      const { cookie, csrfToken } = await signIn(gl.url, DEMO.developer, DEMO.password);
      const res = await ideToken({ cookie, 'x-csrf-token': csrfToken });
      expect(res.status).toBe(201);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const body = (await res.json()) as { access_token: string; expires_in: number; created_at: number };
      expect(validate.token(body)).toEqual({ valid: true });
      const jwks = (await (await fetch(`${gl.url}${PATH.JWKS}`)).json()) as Jwks;
      expect(verifiesAgainst(body.access_token, jwks)).toBe(true);

      const option2 = (await (await apiToken({ cookie, 'x-csrf-token': csrfToken })).json()) as { access_token: string };
      const mine = decodeJwt(body.access_token);
      const theirs = decodeJwt(option2.access_token);
      const stable = ({ jti: _j, iat: _i, nbf: _n, exp: _e, ...rest }: Record<string, unknown>) => rest;
      expect(stable(mine.claims)).toEqual(stable(theirs.claims));
      expect(mine.header).toEqual(theirs.header);
      expect(mine.claims).toMatchObject({ iss: gl.url, sub: DEMO.instanceId, gitlab_realm: 'saas', scopes: ['code_suggestions'] });
      expect(body.created_at).toBe(mine.claims.iat);
      expect(body.expires_in).toBe((mine.claims.exp as number) - (mine.claims.iat as number));
    });

    it('refuses without a session: 401, a personal access token included', async () => {
      for (const headers of <Record<string, string>[]>[{}, { authorization: `Bearer ${DEMO.pat.aiFeatures}` }, { 'private-token': DEMO.pat.api }, { cookie: '_gitlab_session=forged' }]) {
        const res = await ideToken(headers);
        expect([JSON.stringify(headers), res.status, await res.json()]).toEqual([JSON.stringify(headers), 401, GITLAB_ERROR.UNAUTHORIZED]);
      }
    });

    it('refuses a session without its CSRF token: 422, as Rails', async () => {
      const { cookie, csrfToken } = await signIn(gl.url, DEMO.developer, DEMO.password);
      const other = await signIn(gl.url, DEMO.developer, DEMO.password);
      for (const headers of <Record<string, string>[]>[{ cookie }, { cookie, 'x-csrf-token': `${csrfToken}x` }, { cookie, 'x-csrf-token': other.csrfToken }]) {
        const res = await ideToken(headers);
        expect(res.status).toBe(422);
        const body = await res.json();
        expect(body).toEqual({ message: '422 Unprocessable Entity' });
        expect(validate.message(body)).toEqual({ valid: true });
      }
    });

    it('refuses a user without code suggestions: 403', async () => {
      const { cookie, csrfToken } = await signIn(gl.url, DEMO.noDuo, DEMO.password);
      const res = await ideToken({ cookie, 'x-csrf-token': csrfToken });
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual(GITLAB_ERROR.FORBIDDEN);
    });

    it('follows the group setting at runtime', async () => {
      const { cookie, csrfToken } = await signIn(gl.url, DEMO.developer, DEMO.password);
      expect((await gl.control('PUT', '/-/harness/groups/duo-group', { code_suggestions_enabled: false })).status).toBe(200);
      expect((await ideToken({ cookie, 'x-csrf-token': csrfToken })).status).toBe(403);
    });
  });
});

describe('the Web IDE (self-managed)', () => {
  let sm: TestGitlab;
  beforeAll(async () => {
    sm = await startTestGitlab({ GITLAB_MODE: 'self-managed', SAAS_URL: 'http://127.0.0.1:9' });
  });
  afterAll(async () => {
    await sm.close();
  });

  it('signs its own token (realm self-managed) while the instance has code suggestions on, else 403', async () => {
    const { cookie, csrfToken } = await signIn(sm.url, DEMO.sm.developer, DEMO.password);
    const res = await fetch(`${sm.url}${WEB_IDE_PATH.TOKENS}`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrfToken } });
    expect(res.status).toBe(201);
    const { claims } = decodeJwt(((await res.json()) as { access_token: string }).access_token);
    expect(claims).toMatchObject({ iss: sm.url, sub: DEMO.sm.instanceId, gitlab_realm: 'self-managed' });
    expect((await sm.control('PUT', '/-/harness/settings', { code_suggestions_enabled: false })).status).toBe(200);
    const off = await fetch(`${sm.url}${WEB_IDE_PATH.TOKENS}`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrfToken } });
    expect(off.status).toBe(403);
    expect((await sm.control('POST', '/-/harness/reset')).status).toBe(204);
  });
});

describe('the Web IDE settings', () => {
  it('refuses a frame origin that is not an origin and an unknown token option, naming them', () => {
    let error: unknown;
    try {
      loadGitlabConfig({ WEB_IDE_FRAME_ORIGIN: 'http://localhost:3001/', WEB_IDE_TOKEN_OPTION: 'jwt', AI_GATEWAY_URL: 'gateway' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('WEB_IDE_FRAME_ORIGIN');
    expect(message).toContain('must be an origin');
    expect(message).toContain("WEB_IDE_TOKEN_OPTION");
    expect(message).toContain("must be one of 'oauth-pkce', 'custom-endpoint', 'ide-controller'");
    expect(message).toContain('AI_GATEWAY_URL');
  });

  it('takes a configured frame origin and token option', () => {
    expect(loadGitlabConfig({ WEB_IDE_FRAME_ORIGIN: 'https://ide.example', WEB_IDE_TOKEN_OPTION: 'ide-controller' })).toMatchObject({
      webIdeFrameOrigin: 'https://ide.example',
      webIdeTokenOption: 'ide-controller',
    });
  });
});
