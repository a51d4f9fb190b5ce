/**
 * What every AI-gateway test double shares: the gateway's HTTP surface (routes, refusal bodies,
 * readiness, a canned completion) and the request checks around token verification, in the
 * order of ai_gateway's MiddlewareAuthentication (`cloud_connector/auth.py` `authenticate()`,
 * L33-76 @823ced4678f5): Authorization present, Bearer syntax, authentication type `oidc`,
 * token verification, header binding; then the route's unit primitive (`api/v2/code/
 * completions.py` L119-123). Written apart from apps/ai-gateway: only contract constants come
 * from contracts/src. Each double brings its own token verification and, once a request is
 * authenticated, asks the model behind it (model-client.ts). Requests are handled inside their
 * W3C trace (trace-context.ts), so the calls a double makes carry the check's trace id.
 * Test-only; never shipped.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  AUTHENTICATION_TYPE_OIDC,
  GATEWAY_AUTH_ERROR,
  GATEWAY_CODE_COMPLETIONS_FORBIDDEN,
  HEADER,
  PATH,
  SCHEMA,
  UNIT_PRIMITIVE,
  claimBinds,
  describeViolations,
  headerBindingsFor,
  headerMismatchError,
  validateAgainst,
  type CompletionsRequest,
  type CompletionsResponse,
} from '#contracts';
import { listenOnLoopback, readBody, sendJson, type LoopbackServer } from '#common/testing/loopback';
import { completeWithModel, type ModelOutcome } from './model-client.js';
import { inTraceOf } from './trace-context.js';

/** A request the gateway does not serve: the status and the contract body (`{error}` for 401, `{detail}` for 403). */
export interface Refusal {
  status: 401 | 403;
  body: { error: string } | { detail: string };
}

/** A request that passed every check, with the claims of its verified token. */
export interface Authenticated {
  claims: Record<string, unknown>;
}

export const isRefusal = (outcome: Refusal | Authenticated | { token: string }): outcome is Refusal => 'status' in outcome;

/** 401 with `{"error": message}`: every authentication failure of the gateway (middleware.py L281-286). */
export function unauthorized(error: string): Refusal {
  return { status: 401, body: { error } };
}

/** The refusal of a token that failed verification, whatever the reason: the body never says which. */
export const FORBIDDEN_BY_AUTH_PROVIDER: Refusal = Object.freeze(unauthorized(GATEWAY_AUTH_ERROR.FORBIDDEN));

/** RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token; the scheme is case-insensitive (RFC 9110 §11.1). */
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

/** Every value a request sent for a header (Node keeps only the first Authorization in `headers`). */
const valuesOf = (req: IncomingMessage, header: string): string[] | undefined => req.headersDistinct[header.toLowerCase()];

/**
 * Steps 1-3: the Bearer token of the request, or its refusal. No Authorization header ->
 * "No authorization header presented"; a repeated one, another scheme or a value that is not
 * a b64token -> "Invalid authorization header"; `X-Gitlab-Authentication-Type` other than
 * exactly `oidc` (case-sensitive, auth.py L82) -> "Invalid authentication token type ...".
 */
export function bearerCredentials(req: IncomingMessage): { token: string } | Refusal {
  const authorization = valuesOf(req, HEADER.AUTHORIZATION);
  if (authorization === undefined) return unauthorized(GATEWAY_AUTH_ERROR.NO_HEADER);
  const bearer = authorization.length === 1 ? BEARER.exec(authorization[0]!) : null;
  if (!bearer) return unauthorized(GATEWAY_AUTH_ERROR.INVALID_HEADER);
  const type = valuesOf(req, HEADER.AUTHENTICATION_TYPE);
  if (type?.length !== 1 || type[0] !== AUTHENTICATION_TYPE_OIDC) return unauthorized(GATEWAY_AUTH_ERROR.INVALID_TYPE);
  return { token: bearer[1]! };
}

/**
 * Step 5: the first claim whose bound header differs (contracts `headerBindingsFor`, in the
 * production order) -> "Header mismatch '<header>'". An absent or empty claim binds nothing
 * (`claimBinds`); a bound header sent twice never matches.
 */
export function headerMismatch(claims: Readonly<Record<string, unknown>>, req: IncomingMessage): Refusal | undefined {
  for (const { claim, header } of headerBindingsFor(claims.iss)) {
    const value = claims[claim];
    if (!claimBinds(value)) continue;
    const sent = valuesOf(req, header);
    if (sent?.length !== 1 || sent[0] !== value) return unauthorized(headerMismatchError(header));
  }
  return undefined;
}

/** Step 6: 403 `{"detail":"Unauthorized to access code completions"}` unless `scopes` (a claim value) lists code_suggestions. */
export function missingCodeSuggestions(scopes: unknown): Refusal | undefined {
  if (Array.isArray(scopes) && scopes.includes(UNIT_PRIMITIVE.CODE_SUGGESTIONS)) return undefined;
  return { status: 403, body: { detail: GATEWAY_CODE_COMPLETIONS_FORBIDDEN } };
}

/**
 * Verifies a Bearer token: its claims, or undefined when it must be refused. A correct
 * double never throws here, whatever the token holds.
 */
export type VerifyToken = (token: string) => Promise<Record<string, unknown> | undefined>;

/** Steps 1-6 with the double's verification: the claims, or the refusal to send. */
export async function authenticateCompletions(req: IncomingMessage, verify: VerifyToken): Promise<Refusal | Authenticated> {
  const credentials = bearerCredentials(req);
  if (isRefusal(credentials)) return credentials;
  const claims = await verify(credentials.token);
  if (!claims) return FORBIDDEN_BY_AUTH_PROVIDER;
  return headerMismatch(claims, req) ?? missingCodeSuggestions(claims.scopes) ?? { claims };
}

/**
 * A canned completion, valid against contracts/schemas/completions-response.schema.json, made
 * up without asking any model: what the defect double's `answers-without-the-model` sends.
 */
export function cannedCompletion(): CompletionsResponse {
  return {
    id: 'double-completion',
    model: { engine: 'double', name: 'double-model', lang: 'python' },
    object: 'text_completion',
    created: Math.floor(Date.now() / 1000),
    choices: [{ text: 'return n if n < 2 else fibonacci(n - 1) + fibonacci(n - 2)', index: 0, finish_reason: 'length' }],
  };
}

/** One trusted issuer's key state, as /monitoring/ready reports it (contracts/openapi/ai-gateway.yaml). */
export interface IssuerReadiness {
  issuer: string;
  keys: number;
  lastError: string | null;
}

/** GET /monitoring/ready: 200 when at least one trusted key is loaded, else 503 with the reason. */
export function readinessAnswer(issuers: readonly IssuerReadiness[]): { status: 200 | 503; body: unknown } {
  if (issuers.some((i) => i.keys > 0)) return { status: 200, body: { status: 'ok', checks: { jwks: { status: 'ok', issuers } } } };
  const reason = issuers.length === 0 ? 'no trusted issuer is configured' : 'no trusted issuer has a usable signing key';
  return { status: 503, body: { status: 'unavailable', checks: { jwks: { status: 'unavailable', reason, issuers } } } };
}

/** What distinguishes one gateway double from another. */
export interface GatewayBehaviour {
  /** Authenticates a completions request (typically `authenticateCompletions` with the double's verifier). */
  authenticate(req: IncomingMessage): Promise<Refusal | Authenticated>;
  readiness(): Promise<readonly IssuerReadiness[]>;
  /**
   * Answers an authenticated, valid completions request: typically `answerFromModel(modelUrl)`.
   * Absent, a canned completion (a double that authenticates nothing never gets here).
   */
  complete?(request: CompletionsRequest): Promise<ModelOutcome>;
  /** Routes served before the gateway's own (the defect double's harness control API); resolves true when it answered. */
  extraRoute?(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean>;
}

/** Completions answered by the fake model at `modelUrl` (POST <modelUrl>/v1/completions); 502 when it fails. */
export const answerFromModel =
  (modelUrl: string) =>
  (request: CompletionsRequest): Promise<ModelOutcome> =>
    completeWithModel(modelUrl, request);

/**
 * The completions request of a body, or the 422 `{"detail": ...}` (gateway-detail-error) for a
 * body that is not JSON or breaks contracts/schemas/completions-request.schema.json, as FastAPI
 * validates the body after the authentication middleware.
 */
function completionsRequestOf(text: string): { request: CompletionsRequest } | { status: 422; body: { detail: string } } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { status: 422, body: { detail: 'The request body is not valid JSON' } };
  }
  const valid = validateAgainst(SCHEMA.COMPLETIONS_REQUEST, body);
  if (!valid.valid) return { status: 422, body: { detail: `The request body breaks the completions request schema: ${describeViolations(valid)}` } };
  return { request: body as CompletionsRequest };
}

const COMPLETIONS_PATHS: ReadonlySet<string> = new Set([PATH.GATEWAY_COMPLETIONS, PATH.GATEWAY_COMPLETIONS_ALIAS]);

/**
 * Serves the gateway contract on a free loopback port: GET /monitoring/healthz (200, no token),
 * GET /monitoring/ready, POST /v2/code/completions and its alias /v2/completions; 404
 * `{"detail":"Not Found"}` elsewhere. A completions request is authenticated first, then its
 * body validated (422), then answered by `behaviour.complete`. Each request is handled inside
 * its W3C trace. An exception escaping the behaviour is answered 500, so a double that crashes
 * (the defect double's `crash-on-malformed-token`) shows as one.
 */
export function startGatewayDouble(behaviour: GatewayBehaviour): Promise<LoopbackServer> {
  const complete = behaviour.complete ?? (async () => ({ status: 200 as const, body: cannedCompletion() }));
  return listenOnLoopback((req, res) => {
    void inTraceOf(req, async () => {
      const path = (req.url ?? '').split('?')[0] ?? '';
      if (behaviour.extraRoute && (await behaviour.extraRoute(req, res, path))) return;
      if (req.method === 'GET' && path === PATH.GATEWAY_HEALTHZ) return sendJson(res, 200, { status: 'ok' });
      if (req.method === 'GET' && path === PATH.GATEWAY_READY) {
        const ready = readinessAnswer(await behaviour.readiness());
        return sendJson(res, ready.status, ready.body);
      }
      if (req.method !== 'POST' || !COMPLETIONS_PATHS.has(path)) return sendJson(res, 404, { detail: 'Not Found' });
      const text = await readBody(req);
      const outcome = await behaviour.authenticate(req);
      if (isRefusal(outcome)) return sendJson(res, outcome.status, outcome.body);
      const parsed = completionsRequestOf(text);
      if (!('request' in parsed)) return sendJson(res, parsed.status, parsed.body);
      const answer = await complete(parsed.request);
      sendJson(res, answer.status, answer.body);
    }).catch(() => sendJson(res, 500, { detail: 'Internal Server Error' }));
  });
}
