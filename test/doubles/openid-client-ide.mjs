// A second correct IDE client for ide-client-oauth, written independently of the reference one
// on openid-client 6 (the OpenID-certified relying-party library), and different where the
// contracts allow it: no `state` (PKCE is its CSRF protection, RFC 9700 §2.1), no proactive
// refresh (only on 401 or once the token has expired), the access token revoked before the
// refresh token, one JSON file for everything. Run as the profile's ide-client command:
//   node test/doubles/openid-client-ide.mjs sign-in|call [N]|sign-out
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as client from 'openid-client';

const issuer = process.env.IDE_CLIENT_ISSUER;
const home = process.env.IDE_CLIENT_HOME;
const resource = process.env.IDE_CLIENT_RESOURCE_URL;
const stateFile = join(home, 'openid-client-session.json');
const insecure = { algorithm: 'oauth2', execute: [client.allowInsecureRequests] };

const load = async () => JSON.parse(await readFile(stateFile, 'utf8').catch(() => '{}'));
async function save(state) {
  await mkdir(home, { recursive: true, mode: 0o700 });
  await writeFile(`${stateFile}.tmp`, JSON.stringify(state), { mode: 0o600 });
  await rename(`${stateFile}.tmp`, stateFile);
}
const isError = (e, code) => e instanceof client.ResponseBodyError && e.error === code;

async function configuration(state) {
  if (state.client_id) return client.discovery(new URL(issuer), state.client_id, undefined, client.None(), insecure);
  return undefined;
}

async function signIn(state, retried = false) {
  const server = createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const redirectUri = `http://127.0.0.1:${server.address().port}/cb`;
  try {
    let config = await configuration(state);
    if (!config) {
      config = await client.dynamicClientRegistration(new URL(issuer), { redirect_uris: [redirectUri], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none', client_name: 'openid-client IDE double' }, client.None(), insecure);
      state = { client_id: config.clientMetadata().client_id };
      await save(state);
    }
    if (!config.serverMetadata().supportsPKCE('S256')) throw new Error('the server does not offer PKCE S256; refusing to sign in');
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(config, { redirect_uri: redirectUri, code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
    const arrived = new Promise((resolve) => server.on('request', (req, res) => { res.end('done'); resolve(new URL(req.url, redirectUri)); }));
    spawn('/bin/sh', ['-c', `${process.env.BROWSER} "$1"`, 'browser', url.href], { stdio: 'ignore' });
    const callback = await arrived;
    try {
      const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier });
      await save({ ...state, ...tokensOf(tokens) });
    } catch (e) {
      if (isError(e, 'invalid_client') && !retried) return signIn({}, true);
      throw e;
    }
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

const tokensOf = (t) => ({ access_token: t.access_token, refresh_token: t.refresh_token, expires_at: t.expiresIn() ? Date.now() + t.expiresIn() * 1000 : undefined });

let refreshing;
async function refreshed(config) {
  refreshing ??= (async () => {
    const state = await load();
    try {
      const tokens = await client.refreshTokenGrant(config, state.refresh_token);
      await save({ ...state, ...tokensOf(tokens), refresh_token: tokens.refresh_token ?? state.refresh_token });
    } catch (e) {
      if (isError(e, 'invalid_grant')) await save({ client_id: state.client_id });
      if (isError(e, 'invalid_client')) await save({});
      throw e;
    }
  })().finally(() => (refreshing = undefined));
  return refreshing;
}

async function call(count) {
  const state = await load();
  if (!state.access_token) throw new Error('not signed in');
  const config = await configuration(state);
  if (state.expires_at && Date.now() >= state.expires_at) await refreshed(config);
  const one = async () => {
    const before = (await load()).access_token;
    let res = await fetch(resource, { headers: { authorization: `Bearer ${before}` } });
    if (res.status === 401) {
      if ((await load()).access_token === before) await refreshed(config);
      res = await fetch(resource, { headers: { authorization: `Bearer ${(await load()).access_token}` } });
    }
    return res.status;
  };
  const statuses = await Promise.all(Array.from({ length: count }, one));
  console.log(`resource answered ${statuses.join(' ')}`);
  return statuses.every((s) => s === 200);
}

async function signOut() {
  const state = await load();
  let ok = true;
  if (state.client_id && state.access_token) {
    const config = await configuration(state);
    for (const [token, hint] of [[state.access_token, 'access_token'], [state.refresh_token, 'refresh_token']]) {
      if (!token) continue;
      await client.tokenRevocation(config, token, { token_type_hint: hint }).catch(() => (ok = false));
    }
  }
  await save({});
  return ok;
}

const [action, arg] = process.argv.slice(2);
try {
  const ok = action === 'sign-in' ? (await signIn(await load()), true) : action === 'call' ? await call(Number(arg ?? 1)) : action === 'sign-out' ? await signOut() : undefined;
  if (ok === undefined) {
    console.error('usage: sign-in | call [N] | sign-out');
    process.exitCode = 2;
  } else process.exitCode = ok ? 0 : 1;
} catch (e) {
  console.error(`${action} failed: ${e.name}: ${e.message}`);
  process.exitCode = 1;
}
