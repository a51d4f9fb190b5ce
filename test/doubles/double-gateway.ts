/**
 * An AI gateway written independently of apps/ai-gateway (plain node:http + jose), used to
 * prove two things about the conformance suite: it certifies a gateway it has never seen
 * (the correct double passes), and it catches real defects (each switchable defect below
 * makes specific checks fail). Test-only; never shipped.
 */
import type { IncomingMessage } from 'node:http';
import { listenOnLoopback, readBody, sendJson, type LoopbackServer } from './loopback-server.js';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, importJWK, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyOptions } from 'jose';

export type GatewayDefect =
  | 'skip-audience-check'
  | 'skip-issuer-check'
  | 'accept-alg-none'
  | 'ignore-token-lifetime'
  | 'skip-header-binding'
  | 'ignore-scopes'
  | 'echo-token-in-errors'
  | 'follow-jku'
  | 'crash-on-malformed-token'
  | 'refetch-jwks-every-request'
  | 'never-refetch-jwks'
  | 'window-never-closes'
  | 'no-legacy-scope-mapping';

export type DoubleGateway = LoopbackServer;

const NEW_AUDIENCE = 'gitlab-ai-gateway';
const LEGACY_AUDIENCE = 'gitlab-code-suggestions';
const BOUND: Array<[claim: string, header: string]> = [
  ['gitlab_realm', 'X-Gitlab-Realm'],
  ['gitlab_instance_id', 'X-Gitlab-Instance-Id'],
  ['sub', 'X-Gitlab-Global-User-Id'],
];

class KeyCache {
  private jwks?: JSONWebKeySet;
  private lastUnknownKidFetch = 0;

  constructor(
    private readonly issuer: string,
    private readonly defects: ReadonlySet<GatewayDefect>,
  ) {}

  private async fetchKeys(): Promise<JSONWebKeySet> {
    const discovery = (await (await fetch(`${this.issuer}/.well-known/openid-configuration`)).json()) as { jwks_uri: string };
    this.jwks = (await (await fetch(discovery.jwks_uri)).json()) as JSONWebKeySet;
    return this.jwks;
  }

  clear(): void {
    this.jwks = undefined;
    this.lastUnknownKidFetch = 0;
  }

  async keysFor(kid: string | undefined): Promise<JSONWebKeySet> {
    if (!this.jwks || this.defects.has('refetch-jwks-every-request')) return this.fetchKeys();
    const known = !kid || this.jwks.keys.some((k) => k.kid === kid);
    if (!known && !this.defects.has('never-refetch-jwks') && Date.now() - this.lastUnknownKidFetch > 10_000) {
      this.lastUnknownKidFetch = Date.now();
      return this.fetchKeys();
    }
    return this.jwks;
  }
}

/** A token without kid (older GitLab issuers) is tried against every published key. */
async function verifyWithAnyKey(token: string, jwks: JSONWebKeySet, options: JWTVerifyOptions): Promise<JWTPayload> {
  for (const jwk of jwks.keys) {
    try {
      return (await jwtVerify(token, await importJWK(jwk, 'RS256'), options)).payload;
    } catch {
      // try the next key
    }
  }
  throw new Error('no published key verifies the token');
}

export interface DoubleGatewayOptions {
  issuer: string;
  defects?: GatewayDefect[];
  /** Serves the harness control routes the audience-migration scenario drives (auth settings, cache). */
  controlToken?: string;
}

export async function startDoubleGateway(options: DoubleGatewayOptions): Promise<DoubleGateway> {
  const defects = new Set(options.defects ?? []);
  const keys = new KeyCache(options.issuer, defects);
  const settings = { audience: NEW_AUDIENCE, legacyAudienceWindow: 'open' as 'open' | 'closed' };
  const acceptedAudiences = () =>
    settings.audience !== LEGACY_AUDIENCE && (settings.legacyAudienceWindow === 'open' || defects.has('window-never-closes'))
      ? [settings.audience, LEGACY_AUDIENCE]
      : [settings.audience];

  async function authenticate(req: IncomingMessage): Promise<{ status: number; body: unknown } | { claims: Record<string, unknown> }> {
    const authorization = req.headers.authorization;
    if (authorization === undefined) return { status: 401, body: { error: 'No authorization header presented' } };
    const match = /^bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(authorization);
    if (!match) return { status: 401, body: { error: 'Invalid authorization header' } };
    if (req.headers['x-gitlab-authentication-type'] !== 'oidc') {
      return { status: 401, body: { error: 'Invalid authentication token type - only OIDC is supported' } };
    }
    const token = match[1]!;
    const forbidden = { status: 401, body: defects.has('echo-token-in-errors') ? { error: `Forbidden by auth provider: ${token}` } : { error: 'Forbidden by auth provider' } };

    let claims: Record<string, unknown>;
    if (defects.has('crash-on-malformed-token')) {
      // The defect: trusting the token's shape before verifying it.
      const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { alg: string };
      header.alg.toUpperCase();
    }
    try {
      const header = decodeProtectedHeader(token);
      if (header.alg === 'none' && defects.has('accept-alg-none')) {
        claims = decodeJwt(token);
      } else if (typeof header.jku === 'string' && defects.has('follow-jku')) {
        const attackerKeys = (await (await fetch(header.jku)).json()) as JSONWebKeySet;
        claims = (await jwtVerify(token, createLocalJWKSet(attackerKeys))).payload;
      } else {
        const jwks = await keys.keysFor(header.kid);
        const verifyOptions: JWTVerifyOptions = {
          algorithms: ['RS256'],
          ...(defects.has('skip-issuer-check') ? {} : { issuer: options.issuer }),
          ...(defects.has('skip-audience-check') ? {} : { audience: acceptedAudiences() }),
          clockTolerance: defects.has('ignore-token-lifetime') ? 10 * 365 * 24 * 3600 : 30,
        };
        claims = header.kid ? (await jwtVerify(token, createLocalJWKSet(jwks), verifyOptions)).payload : await verifyWithAnyKey(token, jwks, verifyOptions);
      }
    } catch {
      return forbidden;
    }
    if (!defects.has('skip-header-binding')) {
      for (const [claim, header] of BOUND) {
        if (claims[claim] !== undefined && req.headers[header.toLowerCase()] !== claims[claim]) {
          return { status: 401, body: { error: `Header mismatch '${header}'` } };
        }
      }
    }
    // A legacy token (no scopes claim) is good for code suggestions, as before the migration.
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    const legacyOnly = audiences.includes(LEGACY_AUDIENCE) && (settings.audience === LEGACY_AUDIENCE || !audiences.includes(settings.audience));
    const implied = legacyOnly && !defects.has('no-legacy-scope-mapping') ? ['code_suggestions'] : [];
    const scopes = Array.isArray(claims.scopes) ? claims.scopes : implied;
    if (!defects.has('ignore-scopes') && !scopes.includes('code_suggestions')) {
      return { status: 403, body: { detail: 'Unauthorized to access code completions' } };
    }
    return { claims };
  }

  return listenOnLoopback((req, res) => {
    void (async () => {
      const path = (req.url ?? '').split('?')[0] ?? '';
      if (req.method === 'GET' && (path === '/monitoring/ready' || path === '/monitoring/healthz')) return sendJson(res, 200, { status: 'ok' });
      if (path.startsWith('/-/harness/')) {
        if (!options.controlToken) return sendJson(res, 404, { detail: 'Not Found' });
        if (req.headers['x-harness-control-token'] !== options.controlToken) return sendJson(res, 401, { detail: 'control token missing or wrong' });
        const body = await readBody(req);
        if (path === '/-/harness/auth' && req.method === 'PUT') Object.assign(settings, JSON.parse(body || '{}') as Partial<typeof settings>);
        if (path === '/-/harness/auth') return sendJson(res, 200, { ...settings, acceptedAudiences: acceptedAudiences() });
        if (path === '/-/harness/jwks-cache/clear' && req.method === 'POST') {
          keys.clear();
          res.writeHead(204).end();
          return;
        }
        if (path === '/-/harness/requests') return sendJson(res, 200, { requests: [] });
        return sendJson(res, 404, { detail: 'Not Found' });
      }
      if (req.method !== 'POST' || (path !== '/v2/code/completions' && path !== '/v2/completions')) return sendJson(res, 404, { detail: 'Not Found' });
      await readBody(req);
      const outcome = await authenticate(req);
      if ('status' in outcome) return sendJson(res, outcome.status, outcome.body);
      sendJson(res, 200, {
        id: 'id',
        model: { engine: 'double', name: 'double-model', lang: 'python' },
        object: 'text_completion',
        created: Math.floor(Date.now() / 1000),
        choices: [{ text: 'return n', index: 0, finish_reason: 'length' }],
      });
    })().catch(() => {
      if (!res.headersSent) sendJson(res, 500, { detail: 'Internal Server Error' });
    });
  });
}

