/**
 * The ide-client-oauth server must itself be right: a client is judged by it. Without faults it
 * keeps the rules a correct client relies on (PKCE S256 verification, codes single-use and bound
 * to client and redirect URI, refresh rotation with reuse detection, revocation ending the
 * grant, 401 invalid_token at the resource), and each fault changes exactly what it names.
 */
import { createHash, randomBytes } from 'node:crypto';
import { FaultyAuthorizationServer, OTHER_ISSUER } from './faulty-authorization-server.js';

let as: FaultyAuthorizationServer;
beforeEach(async () => {
  as = await new FaultyAuthorizationServer().start();
});
afterEach(() => as.close());

const REDIRECT = 'http://127.0.0.1:9/callback';
const form = (params: Record<string, string>) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params).toString() });

async function register(redirectUris: unknown = [REDIRECT]): Promise<Response> {
  return fetch(`${as.issuer}/oauth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: redirectUris, token_endpoint_auth_method: 'none' }) });
}

async function authorize(clientId: string, redirectUri = REDIRECT, extra: Record<string, string> = {}) {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const url = new URL(`${as.issuer}/oauth/authorize`);
  url.search = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: redirectUri, state: 'st-1', code_challenge: challenge, code_challenge_method: 'S256', ...extra }).toString();
  const res = await fetch(url, { redirect: 'manual' });
  const location = res.headers.get('location');
  return { res, verifier, back: location ? new URL(location) : undefined };
}

async function token(params: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${as.issuer}/oauth/token`, form(params));
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function signedIn() {
  const clientId = ((await (await register()).json()) as { client_id: string }).client_id;
  const { back, verifier } = await authorize(clientId, 'http://127.0.0.1:5555/callback');
  const t = await token({ grant_type: 'authorization_code', client_id: clientId, code: back!.searchParams.get('code')!, redirect_uri: 'http://127.0.0.1:5555/callback', code_verifier: verifier });
  return { clientId, tokens: t.body as { access_token: string; refresh_token: string; token_type: string; expires_in?: number } };
}

it('publishes OAuth 2.1 metadata naming itself, S256 and iss in responses', async () => {
  const m = (await (await fetch(`${as.issuer}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
  expect(m).toMatchObject({ issuer: as.issuer, code_challenge_methods_supported: ['S256'], authorization_response_iss_parameter_supported: true, grant_types_supported: ['authorization_code', 'refresh_token'] });
  as.faults.plainOnlyMetadata = true;
  expect(((await (await fetch(`${as.issuer}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>).code_challenge_methods_supported).toEqual(['plain']);
});

it('refuses registrations without loopback redirect URIs, with invalid_redirect_uri', async () => {
  for (const uris of [[], ['https://ide.example/cb'], ['http://127.0.0.1:9/cb#frag'], 'http://127.0.0.1:9/cb']) {
    const res = await register(uris);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_redirect_uri' });
  }
});

it('signs in with PKCE: state and iss echoed, any loopback port, the verifier checked, the code single-use', async () => {
  const clientId = ((await (await register()).json()) as { client_id: string }).client_id;
  const { res, back, verifier } = await authorize(clientId, 'http://127.0.0.1:5555/callback');
  expect(res.status).toBe(302);
  expect(back!.searchParams.get('state')).toBe('st-1');
  expect(back!.searchParams.get('iss')).toBe(as.issuer);
  const code = back!.searchParams.get('code')!;
  const base = { grant_type: 'authorization_code', client_id: clientId, code, redirect_uri: 'http://127.0.0.1:5555/callback' };
  expect(await token({ ...base, code_verifier: 'x'.repeat(43) })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  // The failed attempt used the code up (RFC 6749 §4.1.2: a code is used once).
  expect(await token({ ...base, code_verifier: verifier })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  const again = await authorize(clientId);
  const ok = await token({ ...base, redirect_uri: REDIRECT, code: again.back!.searchParams.get('code')!, code_verifier: again.verifier });
  expect(ok).toMatchObject({ status: 200, body: { token_type: 'Bearer', expires_in: 3600 } });
});

it('answers an unknown client or redirect URI with a page, never a redirect', async () => {
  expect((await authorize('nobody')).res.status).toBe(400);
  const clientId = ((await (await register()).json()) as { client_id: string }).client_id;
  const { res, back } = await authorize(clientId, 'http://127.0.0.1:9/elsewhere');
  expect(res.status).toBe(400);
  expect(back).toBeUndefined();
});

it('rotates refresh tokens and ends the grant when a spent one comes back', async () => {
  const { clientId, tokens } = await signedIn();
  const first = await token({ grant_type: 'refresh_token', client_id: clientId, refresh_token: tokens.refresh_token });
  expect(first.status).toBe(200);
  const next = first.body as { access_token: string; refresh_token: string };
  expect(next.refresh_token).not.toBe(tokens.refresh_token);
  expect(await token({ grant_type: 'refresh_token', client_id: clientId, refresh_token: tokens.refresh_token })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  // Reuse detected: the rotated-in tokens are dead too (RFC 9700 §4.14.2).
  expect(await token({ grant_type: 'refresh_token', client_id: clientId, refresh_token: next.refresh_token })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  expect((await fetch(as.resourceUrl, { headers: { authorization: `Bearer ${next.access_token}` } })).status).toBe(401);
});

it('serves the resource to a live token only, with RFC 6750 invalid_token otherwise', async () => {
  const { tokens } = await signedIn();
  expect((await fetch(as.resourceUrl, { headers: { authorization: `bearer ${tokens.access_token}` } })).status).toBe(200);
  as.expireAccessTokens();
  const res = await fetch(as.resourceUrl, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  expect(res.status).toBe(401);
  expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
});

it('revokes: a refresh token ends its grant, any token answers 200', async () => {
  const { clientId, tokens } = await signedIn();
  expect((await fetch(`${as.issuer}/oauth/revoke`, form({ token: tokens.refresh_token, client_id: clientId }))).status).toBe(200);
  expect((await fetch(`${as.issuer}/oauth/revoke`, form({ token: 'unknown', client_id: clientId }))).status).toBe(200);
  expect((await fetch(as.resourceUrl, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(401);
  expect(await token({ grant_type: 'refresh_token', client_id: clientId, refresh_token: tokens.refresh_token })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
});

it('misbehaves exactly as told', async () => {
  const clientId = ((await (await register()).json()) as { client_id: string }).client_id;
  as.faults = { wrongState: true };
  expect((await authorize(clientId)).back!.searchParams.get('state')).not.toBe('st-1');
  as.faults = { missingIss: true };
  expect((await authorize(clientId)).back!.searchParams.has('iss')).toBe(false);
  as.faults = { wrongIss: true };
  expect((await authorize(clientId)).back!.searchParams.get('iss')).toBe(OTHER_ISSUER);
  as.faults = { tokenType: 'bearer', omitExpiresIn: true };
  const { tokens } = await signedIn();
  expect(tokens.token_type).toBe('bearer');
  expect(tokens.expires_in).toBeUndefined();
  as.faults = {};
  const live = await signedIn();
  as.expireRefreshTokens();
  expect(await token({ grant_type: 'refresh_token', client_id: live.clientId, refresh_token: live.tokens.refresh_token })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  as.deleteClients();
  expect(await token({ grant_type: 'refresh_token', client_id: live.clientId, refresh_token: live.tokens.refresh_token })).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
  expect(as.callsTo('token').at(-1)).toMatchObject({ status: 401, error: 'invalid_client' });
});
