/**
 * Conditions on a GitLab instance as token issuer (seed 000 option 2 steps 1-3 and 6-7, seed
 * 001's SaaS side): discovery and JWKS, the custom token endpoint, the token it mints, and
 * the endpoint's refusals. Every refusal is paired, in the same check, with the valid request
 * it varies: a refusal by an instance that refuses everything proves nothing.
 */
import {
  AI_TOKEN,
  AUDIENCE,
  FEATURE_FLAG,
  GITLAB_ERROR,
  GITLAB_REALM,
  HEADER,
  INSTANCE_TOKEN_BINDINGS,
  JWKS_MAX_AGE_SECONDS,
  PATH,
  SCHEMA,
  UNIT_PRIMITIVE,
  type CodeSuggestionsTokenResponse,
} from '#contracts';
import { setFlag } from '../checks/control.js';
import { expectError, expectHeader, expectSchema, expectStatus, expectThat, shownBody } from '../checks/expect.js';
import { verifyRs256WithJwks } from '../checks/jwt.js';
import { condition, type ConditionEnv, type Need, type NeedEnv } from '../runner/condition.js';
import type { HttpResponse } from '../runner/types.js';
import {
  aiTokenOf,
  browserSessionOf,
  controlOf,
  discoveryOf,
  idePatOf,
  keysOf,
  patOf,
  requestAiToken,
  type AiToken,
  type GitlabRole,
  type PatPurpose,
} from './needs.js';

const TOKENS = PATH.GITLAB_CODE_SUGGESTIONS_TOKENS;
const bearer = (token: string) => ({ [HEADER.AUTHORIZATION]: `Bearer ${token}` });

/** A refusal counts only when the same target accepted the valid request it varies; else not applicable. */
export function expectControlAccepted(env: NeedEnv, res: HttpResponse, what: string, hint = ''): void {
  if (res.status >= 200 && res.status < 300) return;
  const body = JSON.stringify(shownBody(res)) ?? '';
  env.notApplicable(
    `the valid ${what} this check varies was refused (${res.request} -> ${res.status} ${body.slice(0, 200)}), so a refusal would prove nothing${hint ? `; ${hint}` : ''}`,
  );
}

/** The token endpoint's successful answer: the contract's shape and a decodable JWS. */
function expectTokenResponse(res: HttpResponse): void {
  expectStatus(res, [200, 201]);
  expectSchema(res.json, SCHEMA.CODE_SUGGESTIONS_TOKEN_RESPONSE, 'the token response', res);
}

// --- Discovery and keys (steps 6-7: what a gateway fetches when its cache is cold) ----------

export const ServesOpenIdConfiguration = (role: GitlabRole) =>
  condition({
    name: 'EnsureDiscoveryNamesItsIssuer',
    title: 'The issuer publishes OpenID discovery metadata whose issuer is its own URL and which names jwks_uri',
    needs: { discovery: discoveryOf(role) },
    async evaluate({ discovery: { doc, res } }, env) {
      const issuer = env.target(role).issuer;
      expectSchema(doc, SCHEMA.OPENID_CONFIGURATION, 'the discovery document', res);
      expectThat(doc.issuer === issuer, `discovery issuer must be identical to the issuer URL (${issuer})`, {
        expected: { issuer },
        actual: { issuer: doc.issuer },
        res,
      });
    },
  });

export const ServesJwksInGitlabShape = (role: GitlabRole) =>
  condition({
    name: 'EnsureJwksHasGitlabShape',
    title: "jwks_uri returns RSA signing keys in GitLab's shape (kty, kid, e, n, use sig, alg RS256) and no private key members",
    needs: { keys: keysOf(role) },
    async evaluate({ keys: { jwks, res } }) {
      expectSchema(jwks, SCHEMA.JWKS, 'the JWKS', res);
      expectThat(jwks.keys.length > 0, 'the JWKS has no keys: no token can be verified', { expected: 'at least one key', actual: jwks, res });
    },
  });

export const LetsTheJwksBeCachedForADay = (role: GitlabRole) =>
  condition({
    name: 'EnsureJwksIsCacheableForADay',
    title: `The JWKS response may be cached publicly for 24 hours (Cache-Control: max-age=${JWKS_MAX_AGE_SECONDS}, public)`,
    needs: { keys: keysOf(role) },
    async evaluate({ keys: { res } }) {
      expectHeader(res, 'Cache-Control', `to allow public caching for ${JWKS_MAX_AGE_SECONDS} s`, (v) => {
        const directives = (v ?? '').split(',').map((d) => d.trim().toLowerCase());
        return directives.includes('public') && directives.includes(`max-age=${JWKS_MAX_AGE_SECONDS}`);
      });
    },
  });

// --- The token endpoint and its token (steps 1-3) ---------------------------------------

export const IssuesJwtForBrowserSession = (role: GitlabRole) =>
  condition({
    name: 'EnsureSessionGetsAiToken',
    title: 'POST /api/v4/code_suggestions/tokens authorises the user by browser session (+ CSRF token) and returns a JWT',
    needs: { browser: browserSessionOf(role) },
    async evaluate({ browser }, env): Promise<AiToken> {
      const token = await requestAiToken(env, role, { Cookie: browser.cookie, [HEADER.CSRF_TOKEN]: browser.csrfToken }, 'POST code_suggestions/tokens (session)');
      expectTokenResponse(token.res);
      return token;
    },
  });

export const AnswersTokenRequestWith201 = (role: GitlabRole) =>
  condition({
    name: 'EnsureTokenRequestAnswered201',
    title: 'The token endpoint answers a successful POST with 201 Created, as GitLab (Grape) does',
    needs: { token: aiTokenOf(role) },
    async evaluate({ token }) {
      expectStatus(token.res, 201);
    },
  });

export const StatesOneHourLifetime = (role: GitlabRole, source: Need<AiToken> = aiTokenOf(role)) =>
  condition({
    name: 'EnsureTokenResponseStatesLifetime',
    title: 'The token response says expires_in 3600 and created_at is the issue time, so the IDE can store it and know its expiry',
    needs: { token: source },
    async evaluate({ token: { res, decoded } }) {
      const body = res.json as CodeSuggestionsTokenResponse;
      expectThat(body.expires_in === AI_TOKEN.EXPIRES_IN_SECONDS, `expires_in must be ${AI_TOKEN.EXPIRES_IN_SECONDS}`, {
        expected: { expires_in: AI_TOKEN.EXPIRES_IN_SECONDS },
        actual: { expires_in: body.expires_in },
        res,
      });
      expectThat(body.created_at === decoded.claims.iat, "created_at must equal the token's iat", {
        expected: { created_at: decoded.claims.iat },
        actual: { created_at: body.created_at },
        res,
      });
    },
  });

export const SignsJwtWithRs256 = (role: GitlabRole, source: Need<AiToken> = aiTokenOf(role)) =>
  condition({
    name: 'EnsureTokenHeaderIsRs256',
    title: 'The JWT header is {alg: RS256, typ: JWT} and carries no key-bearing parameters (jwk, jku, x5u, x5c)',
    needs: { token: source },
    async evaluate({ token }) {
      expectSchema(token.decoded.header, SCHEMA.AI_ACCESS_TOKEN_HEADER, 'the JWT header', token.res);
    },
  });

/**
 * The claims a current issuer mints (cloud-connector or seed-002 shape): the contract's
 * schema, aud gitlab-ai-gateway, iss = the instance URL, the expected realm, code_suggestions
 * in scopes, and claims a client can satisfy: the gateway binds both `sub` and
 * `gitlab_instance_id` to X-Gitlab-Instance-Id, so an issuer that mints both must mint them equal.
 */
export const MintsClaimsOfTheContract = (role: GitlabRole, issuerRole: GitlabRole, realm: string, source: Need<AiToken> = aiTokenOf(role)) =>
  condition({
    name: 'EnsureTokenClaimsMatchContract',
    title: `The JWT claims match the contract: jti, aud gitlab-ai-gateway, iss = the issuer URL, iat/nbf/exp, realm ${realm}, scopes with code_suggestions, bound claims a client can satisfy`,
    needs: { token: source },
    async evaluate({ token: { decoded, res } }, env) {
      const { claims } = decoded;
      const issuer = env.target(issuerRole).issuer;
      expectSchema(claims, SCHEMA.AI_ACCESS_TOKEN_CLAIMS, 'the JWT claims', res);
      const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      const problems: string[] = [];
      if (!audiences.includes(AUDIENCE.AI_GATEWAY)) problems.push(`aud must be ${AUDIENCE.AI_GATEWAY}`);
      if (claims.iss !== issuer) problems.push(`iss must be the issuing instance's URL ${issuer}`);
      if (claims.gitlab_realm !== realm) problems.push(`gitlab_realm must be ${realm}`);
      if (!(Array.isArray(claims.scopes) && claims.scopes.includes(UNIT_PRIMITIVE.CODE_SUGGESTIONS))) problems.push('scopes must include code_suggestions');
      const instanceBound = INSTANCE_TOKEN_BINDINGS.filter((b) => b.header === HEADER.INSTANCE_ID).map((b) => claims[b.claim]).filter((v) => v !== undefined);
      if (new Set(instanceBound).size > 1) problems.push(`sub and gitlab_instance_id differ, yet the gateway binds both to ${HEADER.INSTANCE_ID}: no client can satisfy it`);
      expectThat(problems.length === 0, problems.join('; '), {
        expected: { aud: AUDIENCE.AI_GATEWAY, iss: issuer, gitlab_realm: realm, scopes: [UNIT_PRIMITIVE.CODE_SUGGESTIONS] },
        actual: { aud: claims.aud, iss: claims.iss, gitlab_realm: claims.gitlab_realm ?? null, scopes: claims.scopes ?? null, sub: claims.sub ?? null, gitlab_instance_id: claims.gitlab_instance_id ?? null },
        res,
      });
    },
  });

export const LimitsJwtToOneHour = (role: GitlabRole, source: Need<AiToken> = aiTokenOf(role)) =>
  condition({
    name: 'EnsureTokenLifetimeIsGitlabs',
    title: 'exp = iat + 3600 and nbf = iat - 5, as Gitlab::Ai::AccessToken sets them',
    needs: { token: source },
    async evaluate({ token: { decoded, res } }) {
      const { iat, nbf, exp } = decoded.claims;
      expectThat(exp - iat === AI_TOKEN.EXPIRES_IN_SECONDS && iat - nbf === AI_TOKEN.NOT_BEFORE_SKEW_SECONDS, "lifetime claims differ from GitLab's", {
        expected: { 'exp - iat': AI_TOKEN.EXPIRES_IN_SECONDS, 'iat - nbf': AI_TOKEN.NOT_BEFORE_SKEW_SECONDS },
        actual: { 'exp - iat': exp - iat, 'iat - nbf': iat - nbf },
        res,
      });
    },
  });

/** The token verifies (node:crypto, independently of any gateway) against a key the issuer publishes. */
export const SignsJwtWithAPublishedKey = (role: GitlabRole, issuerRole: GitlabRole, source: Need<AiToken> = aiTokenOf(role)) =>
  condition({
    name: 'EnsureTokenVerifiesWithPublishedKey',
    title: `The JWT signature verifies (independently, with node:crypto) against a key of ${issuerRole}'s JWKS`,
    needs: { token: source, keys: keysOf(issuerRole) },
    async evaluate({ token, keys: { jwks } }) {
      const kid = verifyRs256WithJwks(token.token, jwks);
      expectThat(kid !== undefined, "no key of the published JWKS verifies the token's signature", {
        expected: `a signature by one of ${jwks.keys.map((k) => k.kid).join(', ')}`,
        actual: { kid: token.decoded.header.kid ?? '(no kid)' },
        res: token.res,
      });
    },
  });

export const IssuesJwtForPat = (role: GitlabRole, purpose: PatPurpose, header: 'authorization' | 'private-token') =>
  condition({
    name: header === 'authorization' ? 'EnsurePatBearerGetsAiToken' : 'EnsurePrivateTokenHeaderGetsAiToken',
    title:
      header === 'authorization'
        ? `A personal access token with the ${purpose} scope (Authorization: Bearer) gets a JWT`
        : `An ${purpose}-scoped personal access token in the PRIVATE-TOKEN header gets a JWT`,
    needs: { pat: patOf(`${role}:${purpose}`) },
    async evaluate({ pat }, env) {
      const headers = header === 'authorization' ? bearer(pat) : { [HEADER.PRIVATE_TOKEN]: pat };
      const token = await requestAiToken(env, role, headers, `POST code_suggestions/tokens (${purpose} PAT, ${header})`);
      expectTokenResponse(token.res);
    },
  });

// --- Refusals of the token endpoint, each paired with an accepted request ----------------

/** Sends the valid token request (the IDE's PAT) in this check; not applicable unless it is accepted. */
async function tokenEndpointAccepts(env: ConditionEnv, role: GitlabRole, pat: string): Promise<void> {
  const res = await env.http('ide', role).request({ method: 'POST', path: TOKENS, headers: bearer(pat), label: 'POST tokens (valid PAT: control request)' });
  expectControlAccepted(env, res, 'token request (a PAT with ai_features or api)');
}

const post = (env: NeedEnv, role: GitlabRole, headers: Record<string, string>, label: string) =>
  env.http('ide', role).request({ method: 'POST', path: TOKENS, headers, label });

/** A token request the endpoint must refuse with exactly this status and body. */
export const RefusesTokenRequest = (
  role: GitlabRole,
  title: string,
  variant: { label: string; headers: (env: NeedEnv) => Promise<Record<string, string>> },
  expected: { status: number; body: unknown } | ((res: HttpResponse) => void),
) =>
  condition({
    name: 'EnsureTokenRequestRefused',
    title,
    needs: { pat: idePatOf(role) },
    async evaluate({ pat }, env) {
      await tokenEndpointAccepts(env, role, pat);
      const res = await post(env, role, await variant.headers(env), `POST tokens (${variant.label})`);
      if (typeof expected === 'function') expected(res);
      else expectError(res, expected.status, expected.body);
    },
  });

/** An invalid token in Authorization: 401 invalid_token with a Bearer challenge (API::APIGuard, RFC 6750 §3.1). */
export function expectInvalidTokenChallenge(res: HttpResponse): void {
  expectStatus(res, 401);
  expectSchema(res.json, SCHEMA.OAUTH_BEARER_ERROR, 'the error body', res);
  expectThat((res.json as { error: string }).error === 'invalid_token', 'error must be invalid_token (RFC 6750 §3.1)', {
    expected: { error: 'invalid_token' },
    actual: res.json,
    res,
  });
  expectHeader(res, 'WWW-Authenticate', 'to be a Bearer challenge with error="invalid_token"', (v) => /^Bearer\s/i.test(v ?? '') && /error="invalid_token"/.test(v ?? ''));
}

/** 403 insufficient_scope naming ai_features among the scopes that would do. */
export function expectInsufficientScope(res: HttpResponse): void {
  expectStatus(res, 403);
  expectSchema(res.json, SCHEMA.INSUFFICIENT_SCOPE_ERROR, 'the 403 body', res);
  const named = (res.json as { scope: string }).scope.split(' ');
  expectThat(named.includes('ai_features'), 'the 403 body must name ai_features among the sufficient scopes', { expected: { scope: 'ai_features api' }, actual: res.json, res });
}

export const pat = (role: GitlabRole, purpose: PatPurpose) => async (env: NeedEnv) => bearer(await env.need(patOf(`${role}:${purpose}`)));

export const IgnoresSessionWithoutCsrfToken = (role: GitlabRole) =>
  condition({
    name: 'EnsureSessionWithoutCsrfRefused',
    title: 'A session cookie without the X-CSRF-Token header does not authenticate the POST -> 401',
    needs: { browser: browserSessionOf(role) },
    async evaluate({ browser }, env) {
      const valid = await post(env, role, { Cookie: browser.cookie, [HEADER.CSRF_TOKEN]: browser.csrfToken }, 'POST tokens (session + CSRF: control request)');
      expectControlAccepted(env, valid, 'session token request (cookie + CSRF token)');
      expectError(await post(env, role, { Cookie: browser.cookie }, 'POST tokens (session, no CSRF token)'), 401, GITLAB_ERROR.UNAUTHORIZED);
    },
  });

export const HidesEndpointWhenFeatureFlagOff = (role: GitlabRole) =>
  condition({
    name: 'EnsureTokensEndpointFlagged',
    title: 'With code_suggestions_tokens_api off the endpoint answers 404 {"message":"404 Not Found"}',
    needs: { control: controlOf(role), pat: idePatOf(role) },
    async evaluate({ control, pat }, env) {
      await tokenEndpointAccepts(env, role, pat);
      await setFlag(env, control, FEATURE_FLAG.CODE_SUGGESTIONS_TOKENS_API, { enabled: false });
      expectError(await post(env, role, bearer(pat), 'POST tokens (flag off)'), 404, GITLAB_ERROR.NOT_FOUND);
    },
  });

export { GITLAB_REALM };
