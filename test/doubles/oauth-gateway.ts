/**
 * An AI gateway for seed 000 option 1 written apart from apps/ai-gateway: it takes only opaque
 * OAuth access tokens (`X-Gitlab-Authentication-Type: oauth2`, contracts
 * AUTHENTICATION_TYPE_OAUTH2), asks GitLab's GET /oauth/token/info about each one it does not
 * hold, remembers an active answer `cacheSeconds` (never past the token's own expiry), and
 * completes from the fake model. A JWT (type `oidc`) is refused: this gateway verifies none.
 * The defect keeps an active answer forever, so a revoked token keeps working. Test-only.
 */
import { AUTHENTICATION_TYPE_OAUTH2, GATEWAY_AUTH_ERROR, HEADER, OAUTH_PATH, UNIT_PRIMITIVE, type OAuthTokenInfo } from '#contracts';
import type { IncomingMessage } from 'node:http';
import type { LoopbackServer } from '#common/testing/loopback';
import { FORBIDDEN_BY_AUTH_PROVIDER, answerFromModel, missingCodeSuggestions, startGatewayDouble, unauthorized, type Authenticated, type Refusal } from './gateway-contract.js';
import { outboundTraceHeaders } from './trace-context.js';

export type OAuthGatewayDefect =
  /** An active answer is never asked again: a revoked token keeps working. */
  'caches-forever';

export interface OAuthGatewayOptions {
  /** The GitLab that issued the tokens (GET <gitlabUrl>/oauth/token/info). */
  gitlabUrl: string;
  modelUrl: string;
  /** How long an active answer is trusted. */
  cacheSeconds: number;
  defects?: OAuthGatewayDefect[];
}

/** Scopes that let a token's holder mint an AI token at GitLab (ai_features, or api). */
const AI_SCOPES = ['ai_features', 'api'];
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

export function startOAuthGateway(options: OAuthGatewayOptions): Promise<LoopbackServer> {
  const forever = (options.defects ?? []).includes('caches-forever');
  /** Token -> until when (ms) its active answer holds, and its scopes. */
  const active = new Map<string, { until: number; scopes: string[] }>();

  async function tokenInfo(token: string): Promise<{ until: number; scopes: string[] } | undefined> {
    const held = active.get(token);
    if (held && (forever || held.until > Date.now())) return held;
    const res = await fetch(`${options.gitlabUrl}${OAUTH_PATH.TOKEN_INFO}`, { headers: { authorization: `Bearer ${token}`, ...outboundTraceHeaders() }, redirect: 'manual' });
    if (res.status !== 200) {
      active.delete(token);
      return undefined;
    }
    const info = (await res.json()) as Partial<OAuthTokenInfo>;
    const lifetime = Math.min(options.cacheSeconds, Number(info.expires_in ?? 0));
    const entry = { until: Date.now() + lifetime * 1000, scopes: Array.isArray(info.scope) ? info.scope : [] };
    active.set(token, entry);
    return entry;
  }

  async function authenticate(req: IncomingMessage): Promise<Refusal | Authenticated> {
    const authorization = req.headersDistinct[HEADER.AUTHORIZATION.toLowerCase()];
    if (!authorization) return unauthorized(GATEWAY_AUTH_ERROR.NO_HEADER);
    const bearer = authorization.length === 1 ? BEARER.exec(authorization[0]!) : null;
    if (!bearer) return unauthorized(GATEWAY_AUTH_ERROR.INVALID_HEADER);
    const type = req.headersDistinct[HEADER.AUTHENTICATION_TYPE.toLowerCase()];
    if (type?.length !== 1 || type[0] !== AUTHENTICATION_TYPE_OAUTH2) return FORBIDDEN_BY_AUTH_PROVIDER;
    const token = bearer[1]!;
    if (token.includes('.')) return FORBIDDEN_BY_AUTH_PROVIDER;
    const info = await tokenInfo(token);
    if (!info) return FORBIDDEN_BY_AUTH_PROVIDER;
    const scopes = info.scopes.some((s) => AI_SCOPES.includes(s)) ? [UNIT_PRIMITIVE.CODE_SUGGESTIONS] : [];
    return missingCodeSuggestions(scopes) ?? { claims: { scopes } };
  }

  return startGatewayDouble({
    authenticate,
    readiness: async () => [{ issuer: options.gitlabUrl, keys: 1, lastError: null }],
    complete: answerFromModel(options.modelUrl),
  });
}
