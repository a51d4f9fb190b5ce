/**
 * The OAuth 2.1 reference client (seed 003) against the gitlab emulator's authorization server,
 * in both registration modes: RFC 7591 with RFC 7592 management, and GitLab's own answer (a
 * public client with scope `mcp`, no management). The browser is the scripted user agent,
 * signing in and consenting on the emulator's pages; token requests are counted through the
 * client's fetch.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CONTROL_ROUTE, OAUTH_PATH, type OAuthRegistrationMode, controlPath } from '#contracts';
import { DEMO, type TestGitlab, startTestGitlab } from '../../../apps/gitlab/src/test/helpers.js';
import type { HttpClient, HttpResponse } from '../../runner/types.js';
import { UserAgent } from '../user-agent.js';
import { InvalidClientError, InvalidGrantError, IssuerMismatch, ReauthenticationRequired, StateMismatch } from './errors.js';
import { type Browser, OAuthSessionManager } from './session.js';
import { MemoryOAuthStore } from './store.js';

const REDIRECT_URI = 'http://127.0.0.1:9/callback';

/** An HttpClient over global fetch (redirects returned, never followed), for the user agent. */
function fetchHttpClient(baseUrl: string): HttpClient {
  let n = 0;
  return {
    baseUrl,
    async request(req) {
      const url = new URL(req.path, baseUrl).href;
      const res = await fetch(url, { method: req.method, headers: req.headers ?? {}, redirect: 'manual', ...(req.body !== undefined ? { body: req.body } : {}) });
      const text = await res.text();
      const headers: Record<string, string> = {};
      res.headers.forEach((v, k) => (headers[k] = v));
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      const answer: HttpResponse = { exchangeId: String(++n), status: res.status, headers, setCookies: res.headers.getSetCookie(), text, json, durationMs: 0, request: `${req.method} ${url}` };
      return answer;
    },
  };
}

/** A browser whose user signs in as the demo developer and approves. */
function scriptedBrowser(gl: TestGitlab): Browser & { opened: URL[] } {
  const opened: URL[] = [];
  const browser = async (url: URL, redirectUri: string) => {
    opened.push(url);
    const { callback } = await new UserAgent(fetchHttpClient(gl.url)).authorize(url.href, redirectUri, { username: DEMO.developer, password: DEMO.password });
    return callback;
  };
  return Object.assign(browser, { opened });
}

/** fetch that counts the token endpoint's requests by grant type. */
function countingFetch(): typeof fetch & { grants: string[] } {
  const grants: string[] = [];
  const counting = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (url.endsWith(OAUTH_PATH.TOKEN) && init?.body !== undefined) grants.push(new URLSearchParams(String(init.body)).get('grant_type') ?? '?');
    return fetch(input, init);
  }) as typeof fetch;
  return Object.assign(counting, { grants });
}

/** A resource server stub answering 401 to the first `failures` requests, 200 after; it records each Authorization header. */
async function resourceStub(failures: number): Promise<{ url: string; seen: string[]; close: () => Promise<void> }> {
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(req.headers.authorization ?? '');
    res.writeHead(seen.length <= failures ? 401 : 200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`, seen, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe.each<OAuthRegistrationMode>(['rfc7591', 'gitlab'])('OAuthSessionManager against the gitlab authorization server (registration mode %s)', (mode) => {
  let gl: TestGitlab;
  const scope = mode === 'rfc7591' ? 'read_user' : undefined;

  beforeAll(async () => {
    gl = await startTestGitlab({ OAUTH_REGISTRATION_MODE: mode });
  });
  afterAll(() => gl.close());

  function manager(store = new MemoryOAuthStore()) {
    const counting = countingFetch();
    const session = new OAuthSessionManager({ issuer: gl.issuer, store, redirectUri: REDIRECT_URI, fetch: counting, ...(scope ? { scope } : {}) });
    return { session, store, grants: counting.grants };
  }

  /** Moves the stored access token's expiry to `seconds` from now. */
  const expireIn = (store: MemoryOAuthStore, seconds: number) => store.update(gl.issuer, (r) => ({ ...r, tokens: { ...r.tokens!, expires_at: Math.floor(Date.now() / 1000) + seconds } }));

  /** The server forgets the client: RFC 7592 DELETE where the registration has it, else the control API's reset (every dynamic client is gone). */
  async function deleteRegistration(store: MemoryOAuthStore): Promise<void> {
    const { registration } = await store.read(gl.issuer);
    if (registration?.registration_client_uri) {
      const res = await fetch(registration.registration_client_uri, { method: 'DELETE', headers: { authorization: `Bearer ${registration.registration_access_token!}` } });
      expect(res.status).toBe(204);
    } else {
      expect((await gl.control('POST', controlPath(CONTROL_ROUTE.RESET))).status).toBe(204);
    }
  }

  const tokenInfo = (token: string) => fetch(`${gl.url}${OAUTH_PATH.TOKEN_INFO}`, { headers: { authorization: `Bearer ${token}` } });

  it('registers once, signs in through the browser with PKCE S256 and state, and stores tokens for the deployment', async () => {
    const { session, store, grants } = manager();
    const browser = scriptedBrowser(gl);
    const tokens = await session.signIn(browser);
    const opened = browser.opened[0]!;
    expect(opened.searchParams.get('code_challenge_method')).toBe('S256');
    expect(opened.searchParams.get('state')).toEqual(expect.any(String));
    expect(opened.searchParams.get('redirect_uri')).toBe(REDIRECT_URI);
    const record = await store.read(gl.issuer);
    expect(record.registration).toMatchObject({ token_endpoint_auth_method: 'none', redirect_uris: [REDIRECT_URI] });
    expect(record.registration!.client_secret).toBeUndefined();
    expect(record.tokens).toEqual(tokens);
    expect(tokens.expires_at! - Date.now() / 1000).toBeGreaterThan(7000);
    expect(grants).toEqual(['authorization_code']);
    expect((await tokenInfo(await session.accessToken())).status).toBe(200);
    // A second sign-in reuses the stored registration.
    await session.signIn(browser);
    expect((await store.read(gl.issuer)).registration!.client_id).toBe(record.registration!.client_id);
  });

  it('refreshes proactively within the margin of expiry, storing the rotated refresh token', async () => {
    const { session, store, grants } = manager();
    const first = await session.signIn(scriptedBrowser(gl));
    expect(await session.accessToken()).toBe(first.access_token);
    await expireIn(store, 30);
    const token = await session.accessToken();
    expect(token).not.toBe(first.access_token);
    const stored = (await store.read(gl.issuer)).tokens!;
    expect(stored.access_token).toBe(token);
    expect(stored.refresh_token).not.toBe(first.refresh_token);
    expect(grants).toEqual(['authorization_code', 'refresh_token']);
    expect((await tokenInfo(token)).status).toBe(200);
  });

  it('shares one refresh among concurrent callers', async () => {
    const { session, store, grants } = manager();
    await session.signIn(scriptedBrowser(gl));
    await expireIn(store, -10);
    const tokens = await Promise.all(Array.from({ length: 5 }, () => session.accessToken()));
    expect(new Set(tokens).size).toBe(1);
    expect(grants.filter((g) => g === 'refresh_token')).toHaveLength(1);
  });

  it('on a 401 refreshes once and retries exactly once with the new token', async () => {
    const { session, grants } = manager();
    const first = await session.signIn(scriptedBrowser(gl));
    const stub = await resourceStub(1);
    try {
      const res = await session.fetchWithAuth(stub.url);
      expect(res.status).toBe(200);
      expect(stub.seen).toHaveLength(2);
      expect(stub.seen[0]).toBe(`Bearer ${first.access_token}`);
      expect(stub.seen[1]).toBe(`Bearer ${await session.accessToken()}`);
      expect(stub.seen[1]).not.toBe(stub.seen[0]);
      expect(grants.filter((g) => g === 'refresh_token')).toHaveLength(1);
    } finally {
      await stub.close();
    }
  });

  it('does not loop when the retry gets 401 too: two requests, one refresh, the 401 returned', async () => {
    const { session, grants } = manager();
    await session.signIn(scriptedBrowser(gl));
    const stub = await resourceStub(Number.POSITIVE_INFINITY);
    try {
      expect((await session.fetchWithAuth(stub.url)).status).toBe(401);
      expect(stub.seen).toHaveLength(2);
      expect(grants.filter((g) => g === 'refresh_token')).toHaveLength(1);
    } finally {
      await stub.close();
    }
  });

  it('ends the session on invalid_grant (a rotated refresh token reused): tokens dropped, registration kept, no loop', async () => {
    const { session, store, grants } = manager();
    const first = await session.signIn(scriptedBrowser(gl));
    await expireIn(store, -10);
    await session.accessToken();
    // Put the rotated (used) refresh token back, as a stale copy of the store would.
    await store.update(gl.issuer, (r) => ({ ...r, tokens: { ...r.tokens!, refresh_token: first.refresh_token!, expires_at: 0 } }));
    const error = await session.accessToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReauthenticationRequired);
    expect((error as ReauthenticationRequired).cause).toBeInstanceOf(InvalidGrantError);
    expect((error as ReauthenticationRequired).cause!.status).toBe(400);
    const record = await store.read(gl.issuer);
    expect(record.tokens).toBeUndefined();
    expect(record.registration).toBeDefined();
    expect(grants.filter((g) => g === 'refresh_token')).toHaveLength(2);
    await expect(session.accessToken()).rejects.toThrow(ReauthenticationRequired);
    expect(grants.filter((g) => g === 'refresh_token')).toHaveLength(2);
  });

  it('ends the session on invalid_client at refresh (the server deleted the client), dropping the registration too', async () => {
    const { session, store, grants } = manager();
    await session.signIn(scriptedBrowser(gl));
    await deleteRegistration(store);
    await expireIn(store, -10);
    const error = await session.accessToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReauthenticationRequired);
    expect((error as ReauthenticationRequired).cause).toBeInstanceOf(InvalidClientError);
    expect(await store.read(gl.issuer)).toEqual({});
    expect(grants.filter((g) => g === 'refresh_token')).toHaveLength(1);
  });

  it('drops a registration the server deleted during sign-in and registers again, once', async () => {
    const { session, store, grants } = manager();
    const browser = scriptedBrowser(gl);
    const clientIds: string[] = [];
    // The client disappears between consent and code exchange: the token endpoint says invalid_client.
    const deletingBrowser: Browser = async (url, redirectUri) => {
      const callback = await browser(url, redirectUri);
      clientIds.push(url.searchParams.get('client_id')!);
      if (clientIds.length === 1) await deleteRegistration(store);
      return callback;
    };
    await session.signIn(deletingBrowser);
    expect(clientIds).toHaveLength(2);
    expect(clientIds[1]).not.toBe(clientIds[0]);
    expect((await store.read(gl.issuer)).registration!.client_id).toBe(clientIds[1]);
    expect(grants).toEqual(['authorization_code', 'authorization_code']);
    expect((await tokenInfo(await session.accessToken())).status).toBe(200);
  });

  it('gives up with invalid_client when the new registration is deleted too (no loop)', async () => {
    const { session, store } = manager();
    const browser = scriptedBrowser(gl);
    const alwaysDeleting: Browser = async (url, redirectUri) => {
      const callback = await browser(url, redirectUri);
      await deleteRegistration(store);
      return callback;
    };
    await expect(session.signIn(alwaysDeleting)).rejects.toThrow(InvalidClientError);
    expect(browser.opened).toHaveLength(2);
  });

  it('signs out: revokes both tokens (RFC 7009) and clears the deployment', async () => {
    const { session, store } = manager();
    const tokens = await session.signIn(scriptedBrowser(gl));
    expect(await session.signOut()).toEqual({ refreshTokenRevoked: true, accessTokenRevoked: true, errors: [] });
    expect((await tokenInfo(tokens.access_token)).status).toBe(401);
    expect(await store.read(gl.issuer)).toEqual({});
    await expect(session.accessToken()).rejects.toThrow(ReauthenticationRequired);
  });

  it('refuses a callback whose state belongs to no pending sign-in, or to another one', async () => {
    const { session, store, grants } = manager();
    const browser = scriptedBrowser(gl);
    const forged: Browser = async (url, redirectUri) => {
      const callback = new URL(await browser(url, redirectUri));
      callback.searchParams.set('state', 'forged-state');
      return callback;
    };
    await expect(session.signIn(forged)).rejects.toThrow(StateMismatch);
    // Another window's pending sign-in: its callback must not complete this one.
    const other = await session.beginSignIn();
    const crossed: Browser = async (url, redirectUri) => {
      const callback = new URL(await browser(url, redirectUri));
      callback.searchParams.set('state', other.state);
      return callback;
    };
    await expect(session.signIn(crossed)).rejects.toThrow(/another sign-in/);
    await expect(session.completeSignIn(`${REDIRECT_URI}?code=x&state=unknown`)).rejects.toThrow(/no pending sign-in/);
    expect(grants).toEqual([]);
    expect((await store.read(gl.issuer)).tokens).toBeUndefined();
    // The other window's callback still completes its own sign-in.
    const own = await browser(other.authorizationUrl, REDIRECT_URI);
    await session.completeSignIn(own);
    expect(grants).toEqual(['authorization_code']);
  });

  it.each([
    ['a wrong iss (mix-up)', (c: URL) => c.searchParams.set('iss', 'https://attacker.example')],
    ['no iss although the server advertises it', (c: URL) => c.searchParams.delete('iss')],
  ])('refuses a callback with %s (RFC 9207 §2.4) before any code exchange', async (_name, tamper) => {
    const { session, grants } = manager();
    const browser = scriptedBrowser(gl);
    const tampered: Browser = async (url, redirectUri) => {
      const callback = new URL(await browser(url, redirectUri));
      expect(callback.searchParams.get('iss')).toBe(gl.issuer);
      tamper(callback);
      return callback;
    };
    await expect(session.signIn(tampered)).rejects.toThrow(IssuerMismatch);
    expect(grants).toEqual([]);
  });
});
