/**
 * Conditions on the AI gateway's per-keystroke path (seed 000 option 2 steps 4-11,
 * checklist gateway-auth): a valid keystroke is completed; every variant of it that must be
 * refused gets the documented 401/403 body, never a completion and never a 5xx.
 *
 * No false greens: each refusal is paired, in the same check, with the valid keystroke it
 * varies (the IDE's token, or one the issuer minted the same way as the variant). When the
 * gateway refuses that too, the refusal proves nothing and the check is not applicable, saying
 * what the gateway must trust. Tokens meant to be refused for their signature or kid are signed
 * by a key nobody publishes, so no correct gateway (one that ignores kid included) accepts them.
 */
import {
  AUDIENCE,
  AUTHENTICATION_TYPE_OIDC,
  CI_JOB_ID_TOKEN_CLAIMS,
  CI_JOB_ID_TOKEN_LIFETIME_SECONDS,
  GATEWAY_AUTH_ERROR,
  GATEWAY_CODE_COMPLETIONS_FORBIDDEN,
  HEADER,
  INSTANCE_TOKEN_BINDINGS,
  PATH,
  SCHEMA,
  boundHeaderValues,
  headerBindingsFor,
  headerMismatchError,
} from '#contracts';
import { mint, type MintChange } from '../checks/control.js';
import { expectNotEchoed, expectSchema, expectThat, fail, shownBody } from '../checks/expect.js';
import { FaultServer, answer } from '../checks/fault-server.js';
import { ForeignKey, decodeJwt, malformedTokens, withAlgNone, withAlteredClaims, withCorruptedSignature, withHs256KeyedByPublicKey } from '../checks/jwt.js';
import { completionRequest, gatewayHeaders } from '../clients/code-suggestions.js';
import { condition, type ConditionEnv, type Need, type NeedEnv } from '../runner/condition.js';
import type { HttpResponse } from '../runner/types.js';
import { expectControlAccepted } from './issuer.js';
import { aiTokenOf, controlOf, keysOf, type AiToken, type GitlabRole } from './needs.js';

/** A token as the IDE holds it: the compact JWS and its (readable) claims. */
export interface Held {
  token: string;
  claims: Record<string, unknown>;
}

/** One acceptable refusal: the status and, when given, the exact JSON body. */
export interface Refusal {
  status: number;
  body?: unknown;
}

export const FORBIDDEN: Refusal = { status: 401, body: { error: GATEWAY_AUTH_ERROR.FORBIDDEN } };
export const NO_UNIT_PRIMITIVE: Refusal = { status: 403, body: { detail: GATEWAY_CODE_COMPLETIONS_FORBIDDEN } };
const NOW = () => Math.floor(Date.now() / 1000);
const HOUR = 3600;

const held = (token: string, claims: Record<string, unknown>): Held => ({ token, claims });

/** What a gateway must be set up with to accept the harness's tokens: said whenever a valid keystroke is refused. */
export function trustHint(claims: Record<string, unknown>): string {
  const bound = Object.entries(boundHeaderValues(claims)).map(([h, v]) => `${h}: ${v}`);
  return (
    `to accept it, the gateway must trust the issuer ${String(claims.iss)} (discovery at ${String(claims.iss)}/.well-known/openid-configuration, RS256) ` +
    `and the audience ${AUDIENCE.AI_GATEWAY}, and take Authorization: Bearer <JWT>, ${HEADER.AUTHENTICATION_TYPE}: ${AUTHENTICATION_TYPE_OIDC}` +
    `${bound.length ? `, ${bound.join(', ')}` : ''} (headers bound to the token's claims)`
  );
}

/** One keystroke: POST /v2/code/completions with these headers. */
export function keystroke(env: NeedEnv, headers: Record<string, string>, label: string, options: { path?: string; repeatedHeaders?: Array<[string, string]> } = {}): Promise<HttpResponse> {
  return env.http('ide', 'ai-gateway').request({
    method: 'POST',
    path: options.path ?? PATH.GATEWAY_COMPLETIONS,
    headers,
    json: completionRequest(),
    label,
    ...(options.repeatedHeaders ? { repeatedHeaders: options.repeatedHeaders } : {}),
  });
}

/** The valid keystroke a refusal varies; the check is not applicable unless the gateway completes it. */
export async function gatewayAccepts(env: NeedEnv, token: Held, label = 'valid keystroke (control request)'): Promise<HttpResponse> {
  const res = await keystroke(env, gatewayHeaders(token.token, token.claims), label);
  expectControlAccepted(env, res, 'keystroke', trustHint(token.claims));
  return res;
}

export function expectRefusal(res: HttpResponse, allowed: readonly Refusal[], what: string): void {
  const ok = allowed.some((r) => r.status === res.status && (r.body === undefined || JSON.stringify(res.json) === JSON.stringify(r.body)));
  if (!ok) {
    fail(`${what}: expected ${allowed.map((r) => `HTTP ${r.status}${r.body === undefined ? '' : ` ${JSON.stringify(r.body)}`}`).join(' or ')} from ${res.request}, got ${res.status}`, {
      expected: allowed.length === 1 ? allowed[0] : allowed,
      actual: { status: res.status, body: shownBody(res) },
      res,
    });
  }
}

/** A completion came back: 200 and the contract's response. */
function expectCompletion(res: HttpResponse, claims: Record<string, unknown>, what: string): void {
  if (res.status !== 200) {
    fail(`${what} was refused: ${trustHint(claims)}`, { expected: { status: 200 }, actual: { status: res.status, body: shownBody(res) }, res });
  }
  expectSchema(res.json, SCHEMA.COMPLETIONS_RESPONSE, 'the completions response', res);
}

// --- Acceptance --------------------------------------------------------------------------

export const CompletesCodeForValidJwt = (issuer: GitlabRole, source: Need<AiToken> = aiTokenOf(issuer)) =>
  condition({
    name: 'EnsureGatewayCompletesValidKeystroke',
    title: 'POST /v2/code/completions with the JWT (Bearer, X-Gitlab-Authentication-Type: oidc, bound headers) returns a completion',
    needs: { token: source },
    async evaluate({ token }, env) {
      const res = await keystroke(env, gatewayHeaders(token.token, token.decoded.claims), 'keystroke: POST /v2/code/completions');
      expectCompletion(res, token.decoded.claims, 'a keystroke with a valid token of the trusted issuer');
    },
  });

export const ServesCompletionsAlias = (issuer: GitlabRole) =>
  condition({
    name: 'EnsureCompletionsAliasServed',
    title: 'The alias POST /v2/completions answers like /v2/code/completions',
    needs: { token: aiTokenOf(issuer) },
    async evaluate({ token }, env) {
      const res = await keystroke(env, gatewayHeaders(token.token, token.decoded.claims), 'keystroke: POST /v2/completions', { path: PATH.GATEWAY_COMPLETIONS_ALIAS });
      expectCompletion(res, token.decoded.claims, 'a keystroke on the alias');
    },
  });

/** Readiness agrees with what the gateway does: ready while it completes a valid keystroke. */
export const ReportsGatewayReadiness = (issuer: GitlabRole) =>
  condition({
    name: 'EnsureGatewayReportsReady',
    title: 'GET /monitoring/ready answers 200 while the gateway verifies tokens (it has just completed a valid keystroke)',
    needs: { token: aiTokenOf(issuer) },
    async evaluate({ token }, env) {
      await gatewayAccepts(env, held(token.token, token.decoded.claims));
      const res = await env.http('ide', 'ai-gateway').request({ method: 'GET', path: PATH.GATEWAY_READY, label: 'GET /monitoring/ready' });
      expectThat(res.status === 200, `${res.request} answered ${res.status}`, { expected: { status: 200 }, actual: { status: res.status, body: shownBody(res) }, res });
    },
  });

/** A variant of the valid keystroke's headers that a conforming gateway SHOULD accept. */
export const AcceptsHeaderVariant = (issuer: GitlabRole, title: string, vary: (headers: Record<string, string>, token: Held) => Record<string, string>) =>
  condition({
    name: 'EnsureHeaderVariantAccepted',
    title,
    needs: { token: aiTokenOf(issuer) },
    async evaluate({ token }, env) {
      const t = held(token.token, token.decoded.claims);
      const res = await keystroke(env, vary(gatewayHeaders(t.token, t.claims), t), `keystroke: ${title}`);
      expectCompletion(res, t.claims, `the keystroke (${title})`);
    },
  });

/** A token the issuer minted with a change that a conforming gateway SHOULD still accept. */
export const AcceptsMintedVariant = (issuer: GitlabRole, title: string, change: () => MintChange) =>
  condition({
    name: 'EnsureMintedVariantAccepted',
    title,
    needs: { control: controlOf(issuer) },
    async evaluate({ control }, env) {
      const minted = await mint(control, change());
      const res = await keystroke(env, gatewayHeaders(minted.token, minted.claims), `keystroke: ${title}`);
      expectCompletion(res, minted.claims, `the keystroke (${title})`);
    },
  });

// --- Refusals ----------------------------------------------------------------------------

/** The valid keystroke, then the same with headers varied: refused as `refusals` allows. */
export const RefusesHeaderVariant = (
  issuer: GitlabRole,
  title: string,
  vary: (headers: Record<string, string>, token: Held) => { headers: Record<string, string>; repeatedHeaders?: Array<[string, string]> } | Record<string, string>,
  refusals: readonly Refusal[],
  source: Need<AiToken> = aiTokenOf(issuer),
) =>
  condition({
    name: 'EnsureHeaderVariantRefused',
    title,
    needs: { token: source },
    async evaluate({ token }, env) {
      const t = held(token.token, token.decoded.claims);
      await gatewayAccepts(env, t);
      const varied = vary(gatewayHeaders(t.token, t.claims), t);
      const { headers, repeatedHeaders } = 'headers' in varied && typeof varied.headers === 'object' ? (varied as { headers: Record<string, string>; repeatedHeaders?: Array<[string, string]> }) : { headers: varied as Record<string, string>, repeatedHeaders: undefined };
      const res = await keystroke(env, headers, `keystroke: ${title}`, repeatedHeaders ? { repeatedHeaders } : {});
      expectRefusal(res, refusals, title);
      expectNotEchoed(res, t.token, 'token');
    },
  });

/**
 * The issuer mints a valid token (the control request) and one with a change; the gateway
 * must complete the first and refuse the second as `refusals` allows. Both are signed by the
 * issuer's published key: what the variant changes is a claim or header parameter.
 */
export const RefusesMintedVariant = (issuer: GitlabRole, title: string, change: () => MintChange, refusals: readonly Refusal[] = [FORBIDDEN]) =>
  condition({
    name: 'EnsureMintedVariantRefused',
    title,
    needs: { control: controlOf(issuer) },
    async evaluate({ control }, env) {
      const valid = await mint(control);
      await gatewayAccepts(env, held(valid.token, valid.claims));
      const variant = await mint(control, change());
      const res = await keystroke(env, gatewayHeaders(variant.token, variant.claims), `keystroke: ${title}`);
      expectRefusal(res, refusals, title);
    },
  });

/** The IDE's valid token is accepted; a token forged from it (same headers) is refused. */
export const RefusesForgedToken = (
  issuer: GitlabRole,
  title: string,
  forge: (token: Held, env: NeedEnv) => Promise<string> | string,
  refusals: readonly Refusal[] = [FORBIDDEN],
  source: Need<AiToken> = aiTokenOf(issuer),
) =>
  condition({
    name: 'EnsureForgedTokenRefused',
    title,
    needs: { token: source },
    async evaluate({ token }, env) {
      const t = held(token.token, token.decoded.claims);
      await gatewayAccepts(env, t);
      const forged = await forge(t, env);
      const res = await keystroke(env, gatewayHeaders(forged, t.claims), `keystroke: ${title}`);
      expectRefusal(res, refusals, title);
      expectNotEchoed(res, forged, 'forged token');
    },
  });

export const forgeries = {
  alteredClaims: (t: Held) => withAlteredClaims(t.token, { scopes: ['code_suggestions', 'duo_chat', 'admin'] }),
  corruptedSignature: (t: Held) => withCorruptedSignature(t.token),
  algNone: (t: Held) => withAlgNone(t.token),
  hs256WithPublicKey: (issuer: GitlabRole) => async (t: Held, env: NeedEnv) => {
    const { jwks } = await env.need(keysOf(issuer));
    const key = jwks.keys.find((k) => k.kid === decodeJwt(t.token).header.kid) ?? jwks.keys[0];
    if (!key) return env.notApplicable('the issuer publishes no key to confuse HS256 with');
    return withHs256KeyedByPublicKey(t.token, key);
  },
  /** Signed by a foreign key that the token carries in its own jwk header (RFC 8725 §3.10). */
  embeddedJwk: (t: Held) => {
    const attacker = new ForeignKey('attacker-embedded-key');
    return attacker.sign(t.claims, { kid: attacker.kid, jwk: attacker.publicJwk });
  },
};

/** A token signed by an unpublished key whose jku points at a harness server: refused, and the URL never fetched. */
export const NeverFollowsJku = (issuer: GitlabRole) =>
  condition({
    name: 'EnsureJkuNeverFollowed',
    title: "A token whose jku header points at an attacker's JWKS (with the signing key in it) -> 401, and the URL is never fetched",
    needs: { token: aiTokenOf(issuer) },
    async evaluate({ token }, env) {
      const t = held(token.token, token.decoded.claims);
      await gatewayAccepts(env, t);
      const attacker = new ForeignKey('attacker-jku-key');
      const trap = await new FaultServer().start();
      env.restore('the jku trap server', () => trap.close());
      trap.answer = answer(200, JSON.stringify({ keys: [attacker.publicJwk] }));
      const url = `${trap.url}/jwks.json`;
      const forged = attacker.sign(t.claims, { kid: attacker.kid, jku: url });
      const res = await keystroke(env, gatewayHeaders(forged, t.claims), 'keystroke, jku to an attacker URL');
      expectRefusal(res, [FORBIDDEN], 'a token with jku');
      expectThat(trap.seen.length === 0, `the gateway fetched the attacker's jku URL ${url}`, { expected: { fetches: 0 }, actual: { fetches: trap.seen.length } });
    },
  });

export const RejectsMalformedTokens = (issuer: GitlabRole) =>
  condition({
    name: 'EnsureMalformedTokensRefused',
    title: 'Malformed tokens of every shape (segments, base64url, JSON, size, nesting) -> 401, never 5xx',
    needs: { token: aiTokenOf(issuer) },
    async evaluate({ token }, env) {
      const t = held(token.token, token.decoded.claims);
      await gatewayAccepts(env, t);
      const wrong: Array<{ name: string; status: number; body: unknown }> = [];
      for (const { name, token: bad } of malformedTokens(t.token)) {
        const res = await keystroke(env, gatewayHeaders(bad, t.claims), `malformed: ${name}`);
        if (res.status !== 401) wrong.push({ name, status: res.status, body: shownBody(res) });
      }
      expectThat(wrong.length === 0, `${wrong.length} malformed token(s) were not answered 401: ${wrong.map((w) => w.name).join(', ')}`, { expected: { status: 401 }, actual: wrong });
    },
  });

/** A header the gateway binds to a claim, sent with another value: 401 "Header mismatch '<header>'". */
export const RejectsBoundHeaderMismatch = (issuer: GitlabRole, header: string, source: Need<AiToken> = aiTokenOf(issuer)) =>
  condition({
    name: 'EnsureBoundHeaderMismatchRefused',
    title: `${header} different from the token claim bound to it -> 401 "Header mismatch '${header}'"`,
    needs: { token: source },
    async evaluate({ token }, env) {
      const t = held(token.token, token.decoded.claims);
      const binding = headerBindingsFor(t.claims.iss).find((b) => b.header === header && typeof t.claims[b.claim] === 'string' && t.claims[b.claim] !== '');
      if (!binding) return env.notApplicable(`the issuer's tokens carry no claim bound to ${header} (${INSTANCE_TOKEN_BINDINGS.filter((b) => b.header === header).map((b) => b.claim).join(' or ')}), so there is nothing to bind it to`);
      await gatewayAccepts(env, t);
      const headers = { ...gatewayHeaders(t.token, t.claims), [header]: `not-${String(t.claims[binding.claim])}` };
      const res = await keystroke(env, headers, `keystroke, ${header} mismatch`);
      expectRefusal(res, [{ status: 401, body: { error: headerMismatchError(header) } }], `${header} not matching ${binding.claim}`);
    },
  });

export const NeverEchoesTheToken = (issuer: GitlabRole, source: Need<AiToken> = aiTokenOf(issuer)) =>
  condition({
    name: 'EnsureRefusalsNeverEchoToken',
    title: 'Refusals (forged, unsigned, mismatched) never echo the token in the response body',
    needs: { token: source },
    async evaluate({ token }, env) {
      const t = held(token.token, token.decoded.claims);
      await gatewayAccepts(env, t);
      for (const forged of [withCorruptedSignature(t.token), withAlgNone(t.token)]) {
        const res = await keystroke(env, gatewayHeaders(forged, t.claims), 'keystroke, refused token');
        expectThat(res.status === 401, 'the forged token was not refused', { expected: { status: 401 }, actual: { status: res.status }, res });
        expectNotEchoed(res, forged, 'token');
        expectNotEchoed(res, forged.split('.')[1] ?? '', 'token payload');
      }
      const mismatch = await keystroke(env, { ...gatewayHeaders(t.token, t.claims), [HEADER.REALM]: 'not-a-realm' }, 'keystroke, realm mismatch');
      expectNotEchoed(mismatch, t.token, 'token');
    },
  });

/**
 * A token signed by one trusted issuer's key but naming another trusted issuer: refused,
 * since a key vouches only for its own issuer (RFC 8725 §3.8). Needs two trusted issuers.
 */
export const RejectsTokenOfAnotherTrustedIssuer = condition({
  name: 'EnsureKeyBoundToItsIssuer',
  title: "A token signed by one trusted issuer's key that names another trusted issuer -> 401 (each key vouches for its own issuer only)",
  needs: {},
  async evaluate(_input, env: ConditionEnv) {
    const trusted = env.target('ai-gateway').trustedIssuers ?? [];
    if (trusted.length < 2) return env.notApplicable(`the profile says the gateway trusts ${trusted.join(', ') || 'one issuer'} only (roles.ai-gateway.trusted_issuers); this check needs two`);
    const [signer, named] = [trusted[1]!, trusted[0]!];
    const control = await env.need(controlOf(signer));
    const valid = await mint(control);
    await gatewayAccepts(env, held(valid.token, valid.claims), `valid keystroke with a ${signer} token (control request)`);
    const namedIssuer = env.target(named).issuer;
    const variant = await mint(control, { claims: { iss: namedIssuer } });
    const res = await keystroke(env, gatewayHeaders(variant.token, variant.claims), `keystroke, ${signer}'s key naming ${named} as issuer`);
    expectRefusal(res, [FORBIDDEN], `a token signed by ${signer}'s key with iss ${namedIssuer}`);
  },
});

// --- Token variants by claims (minted by the issuer's own published key) -----------------

/** A CI job's ID token of the same issuer (contracts CI_JOB_ID_TOKEN_CLAIMS): its aud is the job author's choice. */
export function ciJobIdTokenClaims(audience: string): MintChange {
  const now = NOW();
  return {
    claims: {
      ...CI_JOB_ID_TOKEN_CLAIMS,
      aud: audience,
      iat: now,
      nbf: now - 5,
      exp: now + CI_JOB_ID_TOKEN_LIFETIME_SECONDS,
      // No AI token claims: a CI token has none of them.
      scopes: null,
      gitlab_realm: null,
      gitlab_instance_id: null,
      third_party_ai_features_enabled: null,
    },
  };
}

export const claimVariants = {
  expired: () => ({ claims: { iat: NOW() - 2 * HOUR, nbf: NOW() - 2 * HOUR - 5, exp: NOW() - HOUR } }),
  notYetValid: () => ({ claims: { iat: NOW(), nbf: NOW() + HOUR, exp: NOW() + 2 * HOUR } }),
  wrongAudience: () => ({ claims: { aud: 'gitlab-some-other-service' } }),
  untrustedIssuer: () => ({ claims: { iss: 'https://gitlab.attacker.example' } }),
  withoutAudience: () => ({ claims: { aud: null } }),
  withoutExpiry: () => ({ claims: { exp: null } }),
  unknownCritical: () => ({ header: { crit: ['urn:example:must-understand'], 'urn:example:must-understand': true } }),
  withoutCodeSuggestions: () => ({ claims: { scopes: ['duo_chat'] } }),
  smallClockSkew: () => ({ claims: { iat: NOW() + 5, nbf: NOW() + 5, exp: NOW() + HOUR } }),
  withoutKid: () => ({ header: { kid: null } }),
} satisfies Record<string, () => MintChange>;
