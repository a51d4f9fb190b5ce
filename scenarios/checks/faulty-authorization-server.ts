/**
 * The authorization server the ide-client-oauth scenario puts in front of an IDE client: a small,
 * correct OAuth 2.1 server on loopback (RFC 8414 metadata, RFC 7591 registration, PKCE
 * authorization code grant with `iss` in the response per RFC 9207, refresh with rotation and
 * reuse detection per RFC 9700 §4.14.2, RFC 7009 revocation) plus one protected resource, that
 * signs its one user in automatically and misbehaves on purpose when a check tells it to (a
 * wrong `state`, a missing `iss`, plain-only PKCE metadata, ...). Like the OpenID Foundation's
 * relying-party tests, the verdict comes from what the server observed the client do, kept in
 * `calls` in arrival order. Nothing here is logged; tokens live in memory for the check's life.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { isLoopbackHost } from '#contracts';
import { listenOnLoopback, type LoopbackListener } from './loopback-listener.js';

/** The paths of the server (the issuer is the origin, so the metadata is at the RFC 8414 §3.1 well-known path). */
export const FAULTY_AS_PATH = {
  METADATA: '/.well-known/oauth-authorization-server',
  REGISTER: '/oauth/register',
  AUTHORIZE: '/oauth/authorize',
  TOKEN: '/oauth/token',
  REVOKE: '/oauth/revoke',
  RESOURCE: '/api/v4/user',
} as const;

export type Endpoint = 'metadata' | 'register' | 'authorize' | 'token' | 'revoke' | 'resource' | 'other';

/** One request the server received, with the parameters the verdicts read (form, query or JSON members) and the status it answered. */
export interface ObservedCall {
  seq: number;
  endpoint: Endpoint;
  method: string;
  path: string;
  params: Record<string, string>;
  /** The bearer token of an Authorization header, when one was sent. */
  bearer?: string;
  status: number;
  /** The OAuth error code answered, when the answer was one. */
  error?: string;
  /** What the authorization endpoint redirected to (its code, state and iss), when it did. */
  redirect?: { code?: string; state?: string; iss?: string };
  /** Tokens the token endpoint issued in its answer. */
  issued?: { access_token: string; refresh_token: string };
}

/** The ways the server misbehaves; each check turns on one. */
export interface Faults {
  /** The authorization response carries a state other than the request's (RFC 6749 §10.12 CSRF). */
  wrongState?: boolean;
  /** The authorization response has no `iss` though the metadata promises it (RFC 9207 §2.4). */
  missingIss?: boolean;
  /** The authorization response names another issuer (RFC 9207 §2.4, a mix-up). */
  wrongIss?: boolean;
  /** The metadata offers only the `plain` code challenge method (RFC 7636 §4.2: a client able to use S256 must). */
  plainOnlyMetadata?: boolean;
  /** token_type in another case than `Bearer` (RFC 6749 §5.1: case insensitive, so to be accepted). */
  tokenType?: string;
  /** Token responses without expires_in (RFC 6749 §5.1: RECOMMENDED, not required). */
  omitExpiresIn?: boolean;
  /** The resource refuses every token with 401 (RFC 6750 §3.1 invalid_token). */
  resourceAlways401?: boolean;
  /** Milliseconds the token endpoint waits before answering a refresh. */
  refreshDelayMs?: number;
}

interface Client {
  client_id: string;
  redirect_uris: string[];
  deleted: boolean;
}

interface Grant {
  client_id: string;
  redirect_uri: string;
  code_challenge: string;
  code_challenge_method: string;
  used: boolean;
}

interface RefreshToken {
  client_id: string;
  family: string;
  active: boolean;
}

/** The issuer another authorization server would name (a mix-up's attacker, RFC 9700 §4.4). */
export const OTHER_ISSUER = 'https://attacker.example';
const EXPIRES_IN_SECONDS = 3600;

const b64url = (bytes: Buffer) => bytes.toString('base64url');
const random = (prefix: string) => `${prefix}-${b64url(randomBytes(24))}`;

export class FaultyAuthorizationServer {
  faults: Faults = {};
  /** Every request, in arrival order. */
  readonly calls: ObservedCall[] = [];
  private listener?: LoopbackListener;
  private readonly clients = new Map<string, Client>();
  private readonly codes = new Map<string, Grant>();
  private readonly refreshTokens = new Map<string, RefreshToken>();
  /** Access tokens the resource accepts: token -> refresh family. */
  private readonly accessTokens = new Map<string, string>();
  private readonly revokedFamilies = new Set<string>();

  /** The issuer identifier (RFC 8414 §2): the server's origin. */
  get issuer(): string {
    return this.listener?.url ?? 'http://127.0.0.1:0';
  }

  get resourceUrl(): string {
    return `${this.issuer}${FAULTY_AS_PATH.RESOURCE}`;
  }

  async start(): Promise<this> {
    this.listener = await listenOnLoopback((req, res) => {
      this.handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end('{"error":"server_error"}');
      });
    });
    return this;
  }

  async close(): Promise<void> {
    await this.listener?.close();
  }

  /** The calls from `since` (a length of `calls` taken earlier) to one endpoint. */
  callsTo(endpoint: Endpoint, since = 0): ObservedCall[] {
    return this.calls.slice(since).filter((c) => c.endpoint === endpoint);
  }

  /** Every access token issued so far stops working at the resource, as if expired (RFC 6750 §3.1: 401 invalid_token). */
  expireAccessTokens(): void {
    this.accessTokens.clear();
  }

  /** Every refresh token issued so far is refused with invalid_grant, as if expired (RFC 6749 §5.2). */
  expireRefreshTokens(): void {
    for (const t of this.refreshTokens.values()) t.active = false;
  }

  /** Forgets every registered client: the token endpoint answers invalid_client for them (RFC 6749 §5.2), as after RFC 7592 §2.3 deletion. */
  deleteClients(): void {
    for (const c of this.clients.values()) c.deleted = true;
  }

  /** The client ids registered so far, deleted ones included, in registration order. */
  registeredClientIds(): string[] {
    return [...this.clients.keys()];
  }

  private metadata(): Record<string, unknown> {
    const origin = this.issuer;
    return {
      issuer: origin,
      authorization_endpoint: `${origin}${FAULTY_AS_PATH.AUTHORIZE}`,
      token_endpoint: `${origin}${FAULTY_AS_PATH.TOKEN}`,
      registration_endpoint: `${origin}${FAULTY_AS_PATH.REGISTER}`,
      revocation_endpoint: `${origin}${FAULTY_AS_PATH.REVOKE}`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_methods_supported: ['none'],
      revocation_endpoint_auth_methods_supported: ['none'],
      code_challenge_methods_supported: this.faults.plainOnlyMetadata ? ['plain'] : ['S256'],
      authorization_response_iss_parameter_supported: true,
      scopes_supported: ['read_user'],
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.issuer);
    const body = await readBody(req);
    const params = paramsOf(url, req.headers['content-type'], body);
    const auth = req.headers.authorization;
    const bearer = auth && /^bearer\s+/i.test(auth) ? auth.replace(/^bearer\s+/i, '') : undefined;
    const call: ObservedCall = { seq: this.calls.length, endpoint: endpointOf(url.pathname), method: req.method ?? '', path: url.pathname, params, status: 0, ...(bearer ? { bearer } : {}) };
    this.calls.push(call);
    const send = (status: number, json: unknown, headers: Record<string, string> = {}) => {
      call.status = status;
      if (json && typeof json === 'object' && 'error' in json) call.error = String((json as { error: unknown }).error);
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }).end(JSON.stringify(json));
    };
    switch (`${req.method} ${call.endpoint}`) {
      case 'GET metadata':
        return send(200, this.metadata());
      case 'POST register':
        return this.register(body, send);
      case 'GET authorize':
        return this.authorize(params, call, res);
      case 'POST token':
        return this.token(params, call, send);
      case 'POST revoke':
        return this.revoke(params, send);
      case 'GET resource':
        return this.resource(bearer, send);
      default:
        return send(404, { error: 'not_found' });
    }
  }

  /** RFC 7591 §3: a public client with loopback redirect URIs; its metadata echoed with a client_id. */
  private register(body: string, send: Send): void {
    let metadata: Record<string, unknown>;
    try {
      metadata = JSON.parse(body) as Record<string, unknown>;
    } catch {
      return send(400, { error: 'invalid_client_metadata', error_description: 'the registration request is not JSON (RFC 7591 §3.1)' });
    }
    const uris = metadata.redirect_uris;
    if (!Array.isArray(uris) || uris.length === 0 || !uris.every((u) => typeof u === 'string' && redirectUriAllowed(u))) {
      return send(400, { error: 'invalid_redirect_uri', error_description: 'redirect_uris must be loopback http URIs without a fragment (RFC 8252 §7.3)' });
    }
    const client: Client = { client_id: random('client'), redirect_uris: uris as string[], deleted: false };
    this.clients.set(client.client_id, client);
    send(201, {
      client_id: client.client_id,
      client_id_issued_at: Math.floor(Date.now() / 1000),
      redirect_uris: client.redirect_uris,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      ...(typeof metadata.client_name === 'string' ? { client_name: metadata.client_name } : {}),
      scope: 'read_user',
    });
  }

  /**
   * RFC 6749 §4.1.1: signs the user in and approves at once, redirecting with a code, the state
   * and iss (RFC 9207 §2), altered by the faults. An unknown client or redirect URI is answered
   * with a page, never a redirect (RFC 6749 §4.1.2.1).
   */
  private authorize(params: Record<string, string>, call: ObservedCall, res: ServerResponse): void {
    const page = (status: number, error: string) => {
      call.status = status;
      call.error = error;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(`authorization refused: ${error}`);
    };
    const client = this.clients.get(params.client_id ?? '');
    if (!client || client.deleted) return page(400, 'invalid_client');
    const redirectUri = params.redirect_uri ?? client.redirect_uris[0]!;
    if (!client.redirect_uris.some((r) => sameRedirectUri(r, redirectUri))) return page(400, 'invalid_redirect_uri');
    const back = new URL(redirectUri);
    const answer: ObservedCall['redirect'] = {};
    const state = this.faults.wrongState ? random('state') : params.state;
    if (state !== undefined) back.searchParams.set('state', (answer.state = state));
    if (!this.faults.missingIss) back.searchParams.set('iss', (answer.iss = this.faults.wrongIss ? OTHER_ISSUER : this.issuer));
    const method = params.code_challenge_method ?? 'plain';
    if (params.response_type !== 'code' || !params.code_challenge) {
      back.searchParams.set('error', 'invalid_request');
      back.searchParams.set('error_description', 'response_type=code and a code_challenge are required (RFC 7636 §4.4.1)');
    } else {
      const code = random('code');
      this.codes.set(code, { client_id: client.client_id, redirect_uri: redirectUri, code_challenge: params.code_challenge, code_challenge_method: method, used: false });
      back.searchParams.set('code', (answer.code = code));
    }
    call.status = 302;
    call.redirect = answer;
    res.writeHead(302, { location: back.href, 'cache-control': 'no-store' }).end();
  }

  private async token(params: Record<string, string>, call: ObservedCall, send: Send): Promise<void> {
    const client = this.clients.get(params.client_id ?? '');
    // A public client sends no Authorization header, so no challenge is due (RFC 6749 §5.2); 401 as GitLab (Doorkeeper) answers.
    if (!client || client.deleted) return send(401, { error: 'invalid_client', error_description: 'the client is not registered (it may have been deleted)' });
    if (params.grant_type === 'authorization_code') {
      const grant = this.codes.get(params.code ?? '');
      if (!grant || grant.used || grant.client_id !== client.client_id) return send(400, { error: 'invalid_grant', error_description: 'the code is unknown, used or not this client\'s' });
      grant.used = true;
      if (!sameRedirectUri(grant.redirect_uri, params.redirect_uri ?? '')) return send(400, { error: 'invalid_grant', error_description: 'redirect_uri differs from the authorization request (RFC 6749 §4.1.3)' });
      if (!verifierMatches(grant, params.code_verifier)) return send(400, { error: 'invalid_grant', error_description: 'the code_verifier does not match the code_challenge (RFC 7636 §4.6)' });
      return this.issue(client.client_id, random('family'), call, send);
    }
    if (params.grant_type === 'refresh_token') {
      if (this.faults.refreshDelayMs) await delay(this.faults.refreshDelayMs);
      const presented = this.refreshTokens.get(params.refresh_token ?? '');
      if (!presented || presented.client_id !== client.client_id || this.revokedFamilies.has(presented.family)) return send(400, { error: 'invalid_grant', error_description: 'the refresh token is unknown, expired or revoked' });
      if (!presented.active) {
        // RFC 9700 §4.14.2: a rotated-out refresh token presented again ends the whole grant.
        this.revokeFamily(presented.family);
        return send(400, { error: 'invalid_grant', error_description: 'the refresh token was already used or has expired' });
      }
      presented.active = false;
      return this.issue(client.client_id, presented.family, call, send);
    }
    return send(400, { error: 'unsupported_grant_type', error_description: `grant_type ${params.grant_type ?? '(none)'} is not supported` });
  }

  private issue(clientId: string, family: string, call: ObservedCall, send: Send): void {
    const issued = { access_token: random('at'), refresh_token: random('rt') };
    this.accessTokens.set(issued.access_token, family);
    this.refreshTokens.set(issued.refresh_token, { client_id: clientId, family, active: true });
    call.issued = issued;
    send(200, {
      ...issued,
      token_type: this.faults.tokenType ?? 'Bearer',
      ...(this.faults.omitExpiresIn ? {} : { expires_in: EXPIRES_IN_SECONDS }),
      scope: 'read_user',
    });
  }

  /** RFC 7009 §2.1-2.2: revoking a refresh token ends its grant; 200 for any token, known or not. */
  private revoke(params: Record<string, string>, send: Send): void {
    const token = params.token ?? '';
    if (!token) return send(400, { error: 'invalid_request', error_description: 'token is required (RFC 7009 §2.1)' });
    const family = this.refreshTokens.get(token)?.family;
    if (family) this.revokeFamily(family);
    this.accessTokens.delete(token);
    send(200, {});
  }

  private revokeFamily(family: string): void {
    this.revokedFamilies.add(family);
    for (const [t, f] of this.accessTokens) if (f === family) this.accessTokens.delete(t);
  }

  /** RFC 6750 §3.1: 200 for a live access token, else 401 invalid_token with its challenge. */
  private resource(bearer: string | undefined, send: Send): void {
    if (!this.faults.resourceAlways401 && bearer && this.accessTokens.has(bearer)) return send(200, { id: 1, username: 'ide-user' });
    send(401, { error: 'invalid_token', error_description: 'the access token is missing, expired or revoked' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
  }
}

type Send = (status: number, json: unknown, headers?: Record<string, string>) => void;

/** The endpoint of each path (FAULTY_AS_PATH's keys, in lower case, are the Endpoint names). */
const ENDPOINT_OF_PATH = new Map<string, Endpoint>(Object.entries(FAULTY_AS_PATH).map(([name, path]) => [path, name.toLowerCase() as Endpoint]));

function endpointOf(path: string): Endpoint {
  return ENDPOINT_OF_PATH.get(path) ?? 'other';
}

const MAX_BODY_BYTES = 64 * 1024;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The query of a GET, the form of a POST (RFC 6749 §3.2), or the string members of a JSON body (RFC 7591). */
function paramsOf(url: URL, contentType: string | undefined, body: string): Record<string, string> {
  const out: Record<string, string> = Object.fromEntries(url.searchParams);
  if (contentType?.startsWith('application/x-www-form-urlencoded')) Object.assign(out, Object.fromEntries(new URLSearchParams(body)));
  else if (contentType?.startsWith('application/json')) {
    try {
      const json = JSON.parse(body) as Record<string, unknown>;
      for (const [k, v] of Object.entries(json)) if (typeof v === 'string') out[k] = v;
    } catch {
      // the endpoint answers a body it cannot read
    }
  }
  return out;
}

/** A native app's redirect URI: http on a loopback address, no fragment (RFC 8252 §7.3, RFC 6749 §3.1.2). */
function redirectUriAllowed(uri: string): boolean {
  try {
    const u = new URL(uri);
    return u.protocol === 'http:' && isLoopbackHost(u.hostname) && u.hash === '';
  } catch {
    return false;
  }
}

/** Exact match, except the port of a loopback redirect URI, which the client picks at run time (RFC 8252 §7.3). */
function sameRedirectUri(registered: string, presented: string): boolean {
  if (registered === presented) return true;
  try {
    const a = new URL(registered);
    const b = new URL(presented);
    return isLoopbackHost(a.hostname) && a.protocol === b.protocol && a.hostname === b.hostname && a.pathname === b.pathname && a.search === b.search;
  } catch {
    return false;
  }
}

/** RFC 7636 §4.6: S256 compares BASE64URL(SHA256(verifier)), plain compares the verifier itself. */
function verifierMatches(grant: Grant, verifier: string | undefined): boolean {
  if (!verifier) return false;
  if (grant.code_challenge_method === 'S256') return b64url(createHash('sha256').update(verifier).digest()) === grant.code_challenge;
  return grant.code_challenge_method === 'plain' && verifier === grant.code_challenge;
}
