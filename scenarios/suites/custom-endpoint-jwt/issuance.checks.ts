/**
 * Steps 1-3: the Web IDE front end gets a JWT from GitLab's custom endpoint through the
 * browser session, and the endpoint's guards (credentials, scopes, access, feature flag).
 */
import {
  AI_TOKEN,
  AUDIENCE,
  FEATURE_FLAG,
  GITLAB_ERROR,
  GITLAB_INVALID_TOKEN_DESCRIPTION,
  GITLAB_REALM,
  HEADER,
  PATH,
  SCHEMA,
  UNIT_PRIMITIVE,
  type CodeSuggestionsTokenResponse,
} from '../../../contracts/src/index.js';
import { requireControl, withFlag } from '../../checks/control.js';
import { expectError, expectHeader, expectSchema, expectStatus, expectThat } from '../../checks/expect.js';
import { decodeJwt, verifyRs256WithJwks, type DecodedJwt } from '../../checks/jwt.js';
import { signIn } from '../../clients/gitlab-session.js';
import type { CheckScope, HttpClient, HttpResponse, ScenarioContext } from '../../runner/types.js';
import type { CustomEndpointState } from './state.js';

const TOKENS = PATH.GITLAB_CODE_SUGGESTIONS_TOKENS;

/** A successful token response: 2xx, the contract's shape, a decodable JWS. */
function expectTokenResponse(res: HttpResponse): { token: string; body: CodeSuggestionsTokenResponse; decoded: DecodedJwt } {
  expectStatus(res, [200, 201]);
  expectSchema(res.json, SCHEMA.CODE_SUGGESTIONS_TOKEN_RESPONSE, 'the token response', res);
  const body = res.json as CodeSuggestionsTokenResponse;
  return { token: body.access_token, body, decoded: decodeJwt(body.access_token) };
}

function pat(ctx: ScenarioContext, scope: CheckScope, purpose: keyof ReturnType<ScenarioContext['credentials']>['personalAccessTokens']): string {
  const token = ctx.credentials('gitlab-saas').personalAccessTokens[purpose];
  if (!token) return scope.skip(`the target profile gives no '${purpose}' personal access token for gitlab-saas`);
  return token;
}

export async function issuanceChecks(ctx: ScenarioContext, state: CustomEndpointState): Promise<void> {
  const ide = ctx.http('ide', 'gitlab-saas');
  const saasIssuer = ctx.target('gitlab-saas').issuer;

  const session = await ctx.check(
    {
      id: 'issues-jwt-for-browser-session',
      title: 'POST /api/v4/code_suggestions/tokens authorises the user by browser session (+ CSRF token) and returns a JWT',
      severity: 'MUST',
      clauses: ['seed-000.o2.step-1', 'seed-000.o2.step-2', 'gitlab.session.csrf', 'gitlab.tokens.response'],
    },
    async (scope) => {
      const user = ctx.credentials('gitlab-saas').user;
      if (!user) return scope.skip('the target profile gives no gitlab-saas user to sign in with');
      const browser = await signIn(ide, user.username, user.password);
      const res = await ide.request({
        method: 'POST',
        path: TOKENS,
        headers: { Cookie: browser.cookie, [HEADER.CSRF_TOKEN]: browser.csrfToken },
        label: 'POST code_suggestions/tokens (session)',
      });
      return { res, ...expectTokenResponse(res), browser };
    },
  );
  if (session) state.sessionToken = { token: session.token, decoded: session.decoded };

  await ctx.check(
    {
      id: 'answers-token-request-with-201',
      title: 'The token endpoint answers a successful POST with 201 Created, as GitLab (Grape) does',
      severity: 'SHOULD',
      clauses: ['gitlab.tokens.response'],
      dependsOn: ['issues-jwt-for-browser-session'],
    },
    async () => expectStatus(session!.res, 201),
  );

  await ctx.check(
    {
      id: 'states-one-hour-lifetime',
      title: 'The token response says expires_in 3600 and created_at is the issue time, so the IDE can store it and know its expiry',
      severity: 'SHOULD',
      clauses: ['gitlab.tokens.response', 'seed-000.o2.step-3'],
      dependsOn: ['issues-jwt-for-browser-session'],
    },
    async () => {
      const { body, decoded, res } = session!;
      expectThat(body.expires_in === AI_TOKEN.EXPIRES_IN_SECONDS, `expires_in must be ${AI_TOKEN.EXPIRES_IN_SECONDS}`, {
        expected: { expires_in: AI_TOKEN.EXPIRES_IN_SECONDS },
        actual: { expires_in: body.expires_in },
        res,
      });
      expectThat(body.created_at === decoded.claims.iat, 'created_at must equal the token\'s iat', {
        expected: { created_at: decoded.claims.iat },
        actual: { created_at: body.created_at },
        res,
      });
    },
  );

  await ctx.check(
    {
      id: 'signs-jwt-with-rs256',
      title: 'The JWT header is {alg: RS256, typ: JWT} and carries no key-bearing parameters (jwk, jku, x5u, x5c)',
      severity: 'MUST',
      clauses: ['gitlab.tokens.claims', 'rfc-8725.3.1', 'rfc-8725.3.10'],
      dependsOn: ['issues-jwt-for-browser-session'],
    },
    async () => expectSchema(session!.decoded.header, SCHEMA.AI_ACCESS_TOKEN_HEADER, 'the JWT header', session!.res),
  );

  await ctx.check(
    {
      id: 'mints-claims-of-the-contract',
      title: 'The JWT claims match the contract: jti, aud gitlab-ai-gateway, iss = the issuer URL, iat/nbf/exp, realm saas, scopes with code_suggestions',
      severity: 'MUST',
      clauses: ['gitlab.tokens.claims'],
      dependsOn: ['issues-jwt-for-browser-session'],
    },
    async () => {
      const { claims } = session!.decoded;
      const res = session!.res;
      expectSchema(claims, SCHEMA.AI_ACCESS_TOKEN_CLAIMS, 'the JWT claims', res);
      const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      expectThat(audiences.includes(AUDIENCE.AI_GATEWAY), `aud must be ${AUDIENCE.AI_GATEWAY}`, {
        expected: { aud: AUDIENCE.AI_GATEWAY },
        actual: { aud: claims.aud },
        res,
      });
      expectThat(claims.iss === saasIssuer, 'iss must be the issuing instance\'s URL', { expected: { iss: saasIssuer }, actual: { iss: claims.iss }, res });
      expectThat(claims.gitlab_realm === GITLAB_REALM.SAAS, `gitlab_realm must be ${GITLAB_REALM.SAAS} for a token SaaS issues to its own user`, {
        expected: { gitlab_realm: GITLAB_REALM.SAAS },
        actual: { gitlab_realm: claims.gitlab_realm ?? null },
        res,
      });
      expectThat(Array.isArray(claims.scopes) && claims.scopes.includes(UNIT_PRIMITIVE.CODE_SUGGESTIONS), 'scopes must include code_suggestions', {
        expected: { scopes: [UNIT_PRIMITIVE.CODE_SUGGESTIONS] },
        actual: { scopes: claims.scopes ?? null },
        res,
      });
    },
  );

  await ctx.check(
    {
      id: 'limits-jwt-to-one-hour',
      title: 'exp = iat + 3600 and nbf = iat - 5, as Gitlab::Ai::AccessToken sets them',
      severity: 'SHOULD',
      clauses: ['gitlab.tokens.claims'],
      dependsOn: ['issues-jwt-for-browser-session'],
    },
    async () => {
      const { iat, nbf, exp } = session!.decoded.claims;
      expectThat(exp - iat === AI_TOKEN.EXPIRES_IN_SECONDS && iat - nbf === AI_TOKEN.NOT_BEFORE_SKEW_SECONDS, 'lifetime claims differ from GitLab\'s', {
        expected: { 'exp - iat': AI_TOKEN.EXPIRES_IN_SECONDS, 'iat - nbf': AI_TOKEN.NOT_BEFORE_SKEW_SECONDS },
        actual: { 'exp - iat': exp - iat, 'iat - nbf': iat - nbf },
        res: session!.res,
      });
    },
  );

  await ctx.check(
    {
      id: 'signs-jwt-with-a-published-key',
      title: 'The JWT signature verifies (independently, with node:crypto) against a key of the issuer\'s JWKS',
      severity: 'MUST',
      clauses: ['rfc-7515.5.2', 'seed-000.o2.step-6', 'seed-000.o2.step-8'],
      dependsOn: ['issues-jwt-for-browser-session', 'serves-jwks-in-gitlab-shape'],
    },
    async () => {
      const kid = verifyRs256WithJwks(session!.token, state.jwks!);
      expectThat(kid !== undefined, 'no key of the published JWKS verifies the token\'s signature', {
        expected: `a signature by one of ${state.jwks!.keys.map((k) => k.kid).join(', ')}`,
        actual: { kid: session!.decoded.header.kid ?? '(no kid)' },
        res: session!.res,
      });
    },
  );

  const patToken = await ctx.check(
    {
      id: 'issues-jwt-for-ai-features-pat',
      title: 'A personal access token with the ai_features scope (Authorization: Bearer) gets a JWT',
      severity: 'MUST',
      clauses: ['gitlab.tokens.scope', 'gitlab.tokens.response'],
    },
    async (scope) => {
      const res = await ide.request({
        method: 'POST',
        path: TOKENS,
        headers: { [HEADER.AUTHORIZATION]: `Bearer ${pat(ctx, scope, 'ai_features')}` },
        label: 'POST code_suggestions/tokens (ai_features PAT)',
      });
      return expectTokenResponse(res);
    },
  );
  if (patToken) state.patToken = { token: patToken.token, decoded: patToken.decoded };

  await ctx.check(
    {
      id: 'accepts-private-token-header',
      title: 'An api-scoped personal access token in the PRIVATE-TOKEN header gets a JWT',
      severity: 'MUST',
      clauses: ['gitlab.tokens.scope', 'gitlab.tokens.auth'],
    },
    async (scope) => {
      const res = await ide.request({
        method: 'POST',
        path: TOKENS,
        headers: { [HEADER.PRIVATE_TOKEN]: pat(ctx, scope, 'api') },
        label: 'POST code_suggestions/tokens (PRIVATE-TOKEN)',
      });
      expectTokenResponse(res);
    },
  );

  await rejectionChecks(ctx, ide);
}

async function rejectionChecks(ctx: ScenarioContext, ide: HttpClient): Promise<void> {
  const post = (headers: Record<string, string>, label: string) => ide.request({ method: 'POST', path: TOKENS, headers, label });

  await ctx.check(
    {
      id: 'rejects-token-request-without-credentials',
      title: 'No credentials -> 401 {"message":"401 Unauthorized"}',
      severity: 'MUST',
      clauses: ['gitlab.tokens.auth'],
    },
    async () => expectError(await post({}, 'POST tokens (no credentials)'), 401, GITLAB_ERROR.UNAUTHORIZED),
  );

  await ctx.check(
    {
      id: 'rejects-unknown-personal-access-token',
      title: 'An unknown personal access token -> 401 {"message":"401 Unauthorized"}',
      severity: 'MUST',
      clauses: ['gitlab.tokens.auth'],
    },
    async () =>
      expectError(
        await post({ [HEADER.AUTHORIZATION]: 'Bearer glpat-not-a-token-of-anybody-0000' }, 'POST tokens (unknown PAT)'),
        401,
        GITLAB_ERROR.UNAUTHORIZED,
      ),
  );

  for (const [purpose, description] of [
    ['revoked', GITLAB_INVALID_TOKEN_DESCRIPTION.REVOKED],
    ['expired', GITLAB_INVALID_TOKEN_DESCRIPTION.EXPIRED],
  ] as const) {
    await ctx.check(
      {
        id: `rejects-${purpose}-personal-access-token`,
        title: `${purpose === 'expired' ? 'An' : 'A'} ${purpose} personal access token -> 401 invalid_token with a WWW-Authenticate Bearer challenge`,
        severity: 'MUST',
        clauses: ['gitlab.tokens.auth'],
      },
      async (scope) => {
        const res = await post({ [HEADER.AUTHORIZATION]: `Bearer ${pat(ctx, scope, purpose)}` }, `POST tokens (${purpose} PAT)`);
        expectStatus(res, 401);
        expectSchema(res.json, SCHEMA.OAUTH_BEARER_ERROR, 'the error body', res);
        expectThat((res.json as { error: string }).error === 'invalid_token', 'error must be invalid_token (RFC 6750 §3.1)', {
          expected: { error: 'invalid_token', error_description: description },
          actual: res.json,
          res,
        });
        expectHeader(res, 'WWW-Authenticate', 'to be a Bearer challenge with error="invalid_token"', (v) =>
          /^Bearer\s/i.test(v ?? '') && /error="invalid_token"/.test(v ?? ''),
        );
      },
    );
  }

  await ctx.check(
    {
      id: 'rejects-pat-without-ai-scope',
      title: 'A personal access token with only read_user -> 403 insufficient_scope naming the scopes that would do',
      severity: 'MUST',
      clauses: ['gitlab.tokens.scope'],
    },
    async (scope) => {
      const res = await post({ [HEADER.AUTHORIZATION]: `Bearer ${pat(ctx, scope, 'read_user')}` }, 'POST tokens (read_user PAT)');
      expectStatus(res, 403);
      expectSchema(res.json, SCHEMA.INSUFFICIENT_SCOPE_ERROR, 'the 403 body', res);
      const named = (res.json as { scope: string }).scope.split(' ');
      expectThat(named.includes('ai_features'), 'the 403 body must name ai_features among the sufficient scopes', {
        expected: { scope: 'ai_features api' },
        actual: res.json,
        res,
      });
    },
  );

  await ctx.check(
    {
      id: 'rejects-user-without-code-suggestions',
      title: 'A user with no group that enables code suggestions -> 401 {"message":"401 Unauthorized"}',
      severity: 'MUST',
      clauses: ['gitlab.tokens.access'],
    },
    async (scope) =>
      expectError(
        await post({ [HEADER.AUTHORIZATION]: `Bearer ${pat(ctx, scope, 'no_code_suggestions')}` }, 'POST tokens (user without code suggestions)'),
        401,
        GITLAB_ERROR.UNAUTHORIZED,
      ),
  );

  await ctx.check(
    {
      id: 'ignores-session-without-csrf-token',
      title: 'A session cookie without the X-CSRF-Token header does not authenticate the POST -> 401',
      severity: 'MUST',
      clauses: ['gitlab.session.csrf', 'gitlab.tokens.auth'],
      dependsOn: ['issues-jwt-for-browser-session'],
    },
    async (scope) => {
      const user = ctx.credentials('gitlab-saas').user;
      if (!user) return scope.skip('the target profile gives no gitlab-saas user to sign in with');
      const browser = await signIn(ide, user.username, user.password);
      expectError(await post({ Cookie: browser.cookie }, 'POST tokens (session, no CSRF token)'), 401, GITLAB_ERROR.UNAUTHORIZED);
    },
  );

  await ctx.check(
    {
      id: 'hides-endpoint-when-feature-flag-off',
      title: 'With code_suggestions_tokens_api off the endpoint answers 404 {"message":"404 Not Found"}',
      severity: 'MUST',
      clauses: ['gitlab.tokens.feature-flag'],
    },
    async (scope) => {
      const control = requireControl(ctx, scope, 'gitlab-saas', 'switch the code_suggestions_tokens_api feature flag off');
      const headers = { [HEADER.AUTHORIZATION]: `Bearer ${pat(ctx, scope, 'ai_features')}` };
      const res = await withFlag(control, FEATURE_FLAG.CODE_SUGGESTIONS_TOKENS_API, { enabled: false }, () => post(headers, 'POST tokens (flag off)'));
      expectError(res, 404, GITLAB_ERROR.NOT_FOUND);
    },
  );
}

