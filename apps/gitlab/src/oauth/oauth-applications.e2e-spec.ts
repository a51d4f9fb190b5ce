import { createHash, randomBytes } from 'node:crypto';
import {
  CONTROL_ROUTE,
  GITLAB_DYNAMIC_APPLICATION_NAME_PREFIX,
  OAUTH_PATH,
  SCHEMA,
  WEB_IDE_OAUTH_APPLICATION,
  controlPath,
  validateAgainst,
} from '#contracts';
import { DEMO, type TestGitlab, startTestGitlab } from '../test/helpers.js';
import { OAuthBrowser } from './testing/oauth-browser.js';

const json = (res: Response) => res.json() as Promise<Record<string, unknown>>;

/** OAuth applications: GitLab's admin API, the registration modes, RFC 7592, and the control API's reset. */
describe('gitlab OAuth applications', () => {
  describe('admin API (self-managed, with an administrator token)', () => {
    let gl: TestGitlab;
    const admin = (method: string, path: string, body?: unknown, token: string = DEMO.sm.pat.admin) =>
      fetch(`${gl.url}${path}`, { method, headers: { 'private-token': token, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });

    beforeAll(async () => {
      gl = await startTestGitlab({ GITLAB_MODE: 'self-managed', SAAS_URL: 'http://127.0.0.1:9' });
    });
    afterAll(() => gl.close());

    it("lists the fixture's applications, the Web IDE's with its fixed client_id and redirect URI", async () => {
      const res = await admin('GET', OAUTH_PATH.APPLICATIONS);
      expect(res.status).toBe(200);
      const list = (await res.json()) as Array<Record<string, unknown>>;
      expect(validateAgainst(SCHEMA.OAUTH_APPLICATION, list[0])).toEqual({ valid: true });
      expect(list).toContainEqual({ id: 1, application_id: WEB_IDE_OAUTH_APPLICATION.CLIENT_ID, application_name: WEB_IDE_OAUTH_APPLICATION.NAME, callback_url: `${gl.issuer}${OAUTH_PATH.IDE_CALLBACK}`, confidential: false });
    });

    it('creates a confidential application whose secret authenticates at the token endpoint, then deletes it with its tokens', async () => {
      const created = await admin('POST', OAUTH_PATH.APPLICATIONS, { name: 'CI tool', redirect_uri: 'http://127.0.0.1:9/cb', scopes: 'read_user openid' });
      expect(created.status).toBe(201);
      const app = await json(created);
      expect(validateAgainst(SCHEMA.OAUTH_APPLICATION, app)).toEqual({ valid: true });
      expect(app).toMatchObject({ application_name: 'CI tool', callback_url: 'http://127.0.0.1:9/cb', confidential: true, secret: expect.any(String) });

      const verifier = randomBytes(32).toString('base64url');
      const url = `${gl.url}${OAUTH_PATH.AUTHORIZE}?${new URLSearchParams({ client_id: String(app.application_id), redirect_uri: 'http://127.0.0.1:9/cb', response_type: 'code', scope: 'read_user', state: 's', code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256' }).toString()}`;
      const { callback } = await new OAuthBrowser(gl.url).authorize(url, 'http://127.0.0.1:9/cb', { username: DEMO.sm.developer, password: DEMO.password });
      const basic = `Basic ${Buffer.from(`${String(app.application_id)}:${String(app.secret)}`).toString('base64')}`;
      const tokens = await json(
        await fetch(`${gl.url}${OAUTH_PATH.TOKEN}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
          body: new URLSearchParams({ grant_type: 'authorization_code', code: callback.searchParams.get('code')!, code_verifier: verifier, redirect_uri: 'http://127.0.0.1:9/cb' }).toString(),
        }),
      );
      const info = () => fetch(`${gl.url}${OAUTH_PATH.TOKEN_INFO}`, { headers: { authorization: `Bearer ${String(tokens.access_token)}` } });
      expect((await info()).status).toBe(200);

      expect((await admin('DELETE', `${OAUTH_PATH.APPLICATIONS}/${String(app.id)}`)).status).toBe(204);
      expect((await info()).status).toBe(401);
      expect((await admin('DELETE', `${OAUTH_PATH.APPLICATIONS}/${String(app.id)}`)).status).toBe(404);
    });

    it.each([
      ['missing parameters', {}, { error: 'name is missing, redirect_uri is missing, scopes is missing' }],
      ['an unknown scope', { name: 'x', redirect_uri: 'http://127.0.0.1:9/cb', scopes: 'sudo' }, { message: { scopes: ["doesn't match configured on the server."] } }],
      ['a relative redirect URI', { name: 'x', redirect_uri: 'not-a-uri', scopes: 'api' }, { message: { redirect_uri: [expect.any(String)] } }],
    ])('refuses %s with 400', async (_name, body, answer) => {
      const res = await admin('POST', OAUTH_PATH.APPLICATIONS, body);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual(answer);
    });

    it('is for administrators only (403)', async () => {
      expect((await admin('GET', OAUTH_PATH.APPLICATIONS, undefined, DEMO.sm.pat.api)).status).toBe(403);
    });
  });

  describe('registration, RFC 7591 mode (default) with RFC 7592 management', () => {
    let gl: TestGitlab;
    beforeAll(async () => {
      gl = await startTestGitlab();
    });
    afterAll(() => gl.close());

    it('registers with a registration access token, then reads and deletes the client (RFC 7592)', async () => {
      const res = await fetch(`${gl.url}${OAUTH_PATH.REGISTER}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:9/cb'], client_name: 'rfc' }) });
      expect(res.status).toBe(201);
      const client = await json(res);
      expect(validateAgainst(SCHEMA.OAUTH_REGISTRATION, client)).toEqual({ valid: true });
      const manage = (method: string) => fetch(String(client.registration_client_uri), { method, headers: { authorization: `Bearer ${String(client.registration_access_token)}` } });
      expect(String(client.registration_client_uri)).toBe(`${gl.issuer}${OAUTH_PATH.REGISTER}/${String(client.client_id)}`);
      expect((await manage('GET')).status).toBe(200);
      expect((await manage('DELETE')).status).toBe(204);
      expect((await manage('GET')).status).toBe(401);
    });

    it('refuses to register a client as trusted', async () => {
      const res = await fetch(`${gl.url}${OAUTH_PATH.REGISTER}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:9/cb'], gitlab_trusted: true }) });
      expect(res.status).toBe(400);
      expect(await json(res)).toMatchObject({ error: 'invalid_client_metadata' });
    });

    it('switches to GitLab registration answers through the control API, and back on reset', async () => {
      const register = async () => json(await fetch(`${gl.url}${OAUTH_PATH.REGISTER}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:9/cb'], client_name: 'switch' }) }));
      const put = await gl.control('PUT', controlPath(CONTROL_ROUTE.OAUTH), { registration_mode: 'gitlab' });
      expect(await put.json()).toEqual({ registration_mode: 'gitlab' });
      expect(await register()).toMatchObject({ dynamic: true, scope: 'mcp' });
      expect((await gl.control('PUT', controlPath(CONTROL_ROUTE.OAUTH), { registration_mode: 'doorkeeper' })).status).toBe(400);
      await gl.control('POST', controlPath(CONTROL_ROUTE.RESET));
      expect(await (await gl.control('GET', controlPath(CONTROL_ROUTE.OAUTH))).json()).toEqual({ registration_mode: 'rfc7591' });
      expect(await register()).toMatchObject({ registration_access_token: expect.any(String) });
    });

    it("forgets registered clients and tokens on the control API's reset; the fixture's applications come back", async () => {
      const res = await fetch(`${gl.url}${OAUTH_PATH.REGISTER}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:9/cb'] }) });
      const client = await json(res);
      expect((await gl.control('POST', controlPath(CONTROL_ROUTE.RESET))).status).toBe(204);
      const read = await fetch(String(client.registration_client_uri), { headers: { authorization: `Bearer ${String(client.registration_access_token)}` } });
      expect(read.status).toBe(401);
      const ide = await fetch(`${gl.url}${OAUTH_PATH.AUTHORIZE}?${new URLSearchParams({ client_id: WEB_IDE_OAUTH_APPLICATION.CLIENT_ID, redirect_uri: `${gl.issuer}${OAUTH_PATH.IDE_CALLBACK}`, response_type: 'code', scope: 'api', code_challenge: 'a'.repeat(43), code_challenge_method: 'S256' }).toString()}`, { redirect: 'manual' });
      expect(ide.status).toBe(303);
      expect(ide.headers.get('location')).toMatch(new RegExp(`^${OAUTH_PATH.INTERACTION}/`));
    });
  });

  describe("registration, GitLab's mode (OAUTH_REGISTRATION_MODE=gitlab)", () => {
    let gl: TestGitlab;
    const register = (body: unknown) => fetch(`${gl.url}${OAUTH_PATH.REGISTER}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    beforeAll(async () => {
      gl = await startTestGitlab({ OAUTH_REGISTRATION_MODE: 'gitlab' });
    });
    afterAll(() => gl.close());

    it("answers GitLab's shape, key for key: a public PKCE client with scope mcp and no registration access token", async () => {
      const res = await register({ redirect_uris: 'http://127.0.0.1:9/cb', client_name: 'MCP client', scope: 'api', token_endpoint_auth_method: 'client_secret_basic' });
      expect(res.status).toBe(201);
      const body = await json(res);
      expect(Object.keys(body)).toEqual(['client_id', 'client_id_issued_at', 'redirect_uris', 'token_endpoint_auth_method', 'grant_types', 'require_pkce', 'client_name', 'scope', 'dynamic']);
      expect(body).toMatchObject({ redirect_uris: ['http://127.0.0.1:9/cb'], token_endpoint_auth_method: 'none', grant_types: ['authorization_code'], require_pkce: true, client_name: `${GITLAB_DYNAMIC_APPLICATION_NAME_PREFIX}MCP client`, scope: 'mcp', dynamic: true });
      expect(validateAgainst(SCHEMA.OAUTH_REGISTRATION, body)).toEqual({ valid: true });
    });

    it.each([
      ['no client_name', { redirect_uris: ['http://127.0.0.1:9/cb'] }, 'client_name is too long'],
      ['a client_name of 200 characters', { redirect_uris: ['http://127.0.0.1:9/cb'], client_name: 'x'.repeat(200) }, 'client_name is too long'],
      ['no redirect_uris', { client_name: 'x' }, "Redirect URI can't be blank"],
    ])('refuses %s with 400 invalid_client_metadata', async (_name, body, description) => {
      const res = await register(body);
      expect(res.status).toBe(400);
      expect(await json(res)).toEqual({ error: 'invalid_client_metadata', error_description: description });
    });
  });
});
