/**
 * An AI gateway written independently of apps/ai-gateway (plain node:http + jose), used to
 * prove two things about the conformance suite: it certifies a gateway it has never seen
 * (the correct double passes), and it catches real defects (each switchable defect below
 * makes specific checks fail). Test-only; never shipped.
 */
import type { IncomingMessage } from 'node:http';
import { GATEWAY_AUTH_ERROR, hasLegacyTokenShape } from '#contracts';
import {
  FORBIDDEN_BY_AUTH_PROVIDER,
  answerFromModel,
  bearerCredentials,
  cannedCompletion,
  headerMismatch,
  isRefusal,
  missingCodeSuggestions,
  startGatewayDouble,
  unauthorized,
  type Authenticated,
  type Refusal,
} from './gateway-contract.js';
import { readBody, sendJson, type LoopbackServer } from '#common/testing/loopback';
import { outboundTraceHeaders } from './trace-context.js';
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
  | 'no-legacy-scope-mapping'
  /** Answers completions with a canned, schema-valid body: the model is never asked (diagram step 10 missing). */
  | 'answers-without-the-model'
  /** Keeps every verified token and trusts it again without asking whether its key is still published. */
  | 'caches-verified-tokens-past-key-withdrawal';

export type DoubleGateway = LoopbackServer;

const NEW_AUDIENCE = 'gitlab-ai-gateway';
const LEGACY_AUDIENCE = 'gitlab-code-suggestions';

class KeyCache {
  private jwks?: JSONWebKeySet;
  private lastUnknownKidFetch = 0;

  constructor(
    private readonly issuer: string,
    private readonly defects: ReadonlySet<GatewayDefect>,
  ) {}

  private async fetchKeys(): Promise<JSONWebKeySet> {
    const discovery = (await (await fetch(`${this.issuer}/.well-known/openid-configuration`, { headers: outboundTraceHeaders() })).json()) as { jwks_uri: string };
    this.jwks = (await (await fetch(discovery.jwks_uri, { headers: outboundTraceHeaders() })).json()) as JSONWebKeySet;
    return this.jwks;
  }

  /** Readiness: the number of keys held, loading them first when none are; 0 when the issuer cannot be read. */
  async loadedKeyCount(): Promise<number> {
    try {
      return (this.jwks ?? (await this.fetchKeys())).keys.length;
    } catch {
      return 0;
    }
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
  /** The fake model's base URL: an authenticated keystroke is completed by POST <modelUrl>/v1/completions. */
  modelUrl: string;
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

  const verified = new Map<string, Record<string, unknown>>();

  async function authenticate(req: IncomingMessage): Promise<Refusal | Authenticated> {
    const credentials = bearerCredentials(req);
    if (isRefusal(credentials)) return credentials;
    const token = credentials.token;
    const remembered = defects.has('caches-verified-tokens-past-key-withdrawal') ? verified.get(token) : undefined;
    const forbidden = defects.has('echo-token-in-errors') ? unauthorized(`${GATEWAY_AUTH_ERROR.FORBIDDEN}: ${token}`) : FORBIDDEN_BY_AUTH_PROVIDER;

    let claims: Record<string, unknown>;
    if (defects.has('crash-on-malformed-token')) {
      // The defect: trusting the token's shape before verifying it.
      const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { alg: string };
      header.alg.toUpperCase();
    }
    try {
      const header = decodeProtectedHeader(token);
      if (remembered !== undefined) {
        claims = remembered;
      } else if (header.alg === 'none' && defects.has('accept-alg-none')) {
        claims = decodeJwt(token);
      } else if (typeof header.jku === 'string' && defects.has('follow-jku')) {
        const attackerKeys = (await (await fetch(header.jku, { headers: outboundTraceHeaders() })).json()) as JSONWebKeySet;
        claims = (await jwtVerify(token, createLocalJWKSet(attackerKeys))).payload;
      } else {
        const jwks = await keys.keysFor(header.kid);
        const verifyOptions: JWTVerifyOptions = {
          algorithms: ['RS256'],
          ...(defects.has('skip-issuer-check') ? {} : { issuer: options.issuer }),
          ...(defects.has('skip-audience-check') ? {} : { audience: acceptedAudiences() }),
          // RFC 8725 §3.9: a token without exp is refused (jose also requires aud when an audience is set).
          requiredClaims: ['exp'],
          clockTolerance: defects.has('ignore-token-lifetime') ? 10 * 365 * 24 * 3600 : 30,
        };
        claims = header.kid ? (await jwtVerify(token, createLocalJWKSet(jwks), verifyOptions)).payload : await verifyWithAnyKey(token, jwks, verifyOptions);
        if (defects.has('caches-verified-tokens-past-key-withdrawal')) verified.set(token, claims);
      }
    } catch {
      return forbidden;
    }
    if (!defects.has('skip-header-binding')) {
      const mismatch = headerMismatch(claims, req);
      if (mismatch) return mismatch;
    }
    // A legacy token (no scopes claim) is good for code suggestions, as before the migration; only
    // a token of exactly the legacy shape, not another token of the issuer (a CI job's ID token).
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    const legacyOnly =
      hasLegacyTokenShape(claims) && audiences.includes(LEGACY_AUDIENCE) && (settings.audience === LEGACY_AUDIENCE || !audiences.includes(settings.audience));
    const implied = legacyOnly && !defects.has('no-legacy-scope-mapping') ? ['code_suggestions'] : [];
    const scopes = Array.isArray(claims.scopes) ? claims.scopes : implied;
    if (!defects.has('ignore-scopes')) {
      const forbidden = missingCodeSuggestions(scopes);
      if (forbidden) return forbidden;
    }
    return { claims };
  }

  return startGatewayDouble({
    authenticate,
    complete: defects.has('answers-without-the-model') ? async () => ({ status: 200, body: cannedCompletion() }) : answerFromModel(options.modelUrl),
    readiness: async () => [{ issuer: options.issuer, keys: await keys.loadedKeyCount(), lastError: null }],
    extraRoute: async (req, res, path) => {
      if (!path.startsWith('/-/harness/')) return false;
      if (!options.controlToken) sendJson(res, 404, { detail: 'Not Found' });
      else if (req.headers['x-harness-control-token'] !== options.controlToken) sendJson(res, 401, { detail: 'control token missing or wrong' });
      else {
        const body = await readBody(req);
        if (path === '/-/harness/auth' && req.method === 'PUT') Object.assign(settings, JSON.parse(body || '{}') as Partial<typeof settings>);
        if (path === '/-/harness/auth') sendJson(res, 200, { ...settings, acceptedAudiences: acceptedAudiences() });
        else if (path === '/-/harness/jwks-cache/clear' && req.method === 'POST') {
          keys.clear();
          res.writeHead(204).end();
        } else if (path === '/-/harness/requests') sendJson(res, 200, { requests: [] });
        else sendJson(res, 404, { detail: 'Not Found' });
      }
      return true;
    },
  });
}

