/**
 * Seed 000 option 1 at the AI gateway: the Web IDE sends its opaque OAuth access token
 * (`X-Gitlab-Authentication-Type: oauth2`, contracts AUTHENTICATION_TYPE_OAUTH2, the one value
 * to change should the gateway's name for it change) and the gateway verifies it with GitLab by
 * a back channel, caching an active answer at most its documented bound (profile
 * `oauth_cache_seconds`). An AI JWT is never an OAuth token, nor an OAuth token a JWT.
 *
 * Every refusal is paired with the accepted keystroke it varies; tokens the checks mint are
 * revoked afterwards.
 */
import { AUTHENTICATION_TYPE_OAUTH2, AUTHENTICATION_TYPE_OIDC, GATEWAY_AUTH_ERROR, HEADER, SCHEMA } from '#contracts';
import { expectSchema, expectThat, fail, shownBody } from '../checks/expect.js';
import { gatewayHeaders } from '../clients/code-suggestions.js';
import { tokenSetOf } from '../clients/oauth-client.js';
import { condition, type ConditionEnv, type NeedEnv } from '../runner/condition.js';
import type { HttpResponse } from '../runner/types.js';
import { FORBIDDEN, expectRefusal, gatewayAccepts, keystroke, type Refusal } from './gateway.js';
import { expectControlAccepted } from './issuer.js';
import { aiTokenOf, type GitlabRole } from './needs.js';
import { mintTokens, oauthAppOf, refresh, revoke, revokeAfterwards } from './oauth.js';

/** The headers of a keystroke with an OAuth access token: no claims, so no bound headers. */
export const oauthKeystrokeHeaders = (accessToken: string, type: string = AUTHENTICATION_TYPE_OAUTH2): Record<string, string> => ({
  [HEADER.AUTHORIZATION]: `Bearer ${accessToken}`,
  [HEADER.AUTHENTICATION_TYPE]: type,
});

/** One keystroke with the Web IDE's OAuth access token. */
export const oauthKeystroke = (env: NeedEnv, accessToken: string, label: string, type?: string): Promise<HttpResponse> => keystroke(env, oauthKeystrokeHeaders(accessToken, type), label);

const SETUP_HINT = `the gateway must verify OAuth access tokens sent with ${HEADER.AUTHENTICATION_TYPE}: ${AUTHENTICATION_TYPE_OAUTH2} by a back channel to this GitLab (the emulator: AIGW_OAUTH_TOKEN_VERIFICATION=token-info, AIGW_OAUTH_GITLAB_URL)`;

/**
 * Option 1 is not GitLab's (it chose option 2; its gateway takes only `oidc`, cloud_connector/auth.py
 * L82-86 @823ced4678f5): an external
 * gateway that refuses the OAuth authentication type as unknown does not implement it, and the
 * check is not applicable. The harness's own gateway must implement it.
 */
export function expectOAuthTypeServed(env: NeedEnv, res: HttpResponse): void {
  const target = env.target('ai-gateway');
  if (!target.embedded && res.status === 401 && (res.json as { error?: unknown } | undefined)?.error === GATEWAY_AUTH_ERROR.INVALID_TYPE) {
    env.notApplicable(`the gateway at ${target.url} refuses ${HEADER.AUTHENTICATION_TYPE}: ${AUTHENTICATION_TYPE_OAUTH2} as an unknown type: it does not implement seed 000 option 1 (GitLab's gateway knows only ${AUTHENTICATION_TYPE_OIDC})`);
  }
}

/** A completion came back: 200 and the contract's response. */
function expectCompletion(res: HttpResponse, what: string): void {
  if (res.status !== 200) fail(`${what} was refused; ${SETUP_HINT}`, { expected: { status: 200 }, actual: { status: res.status, body: shownBody(res) }, res });
  expectSchema(res.json, SCHEMA.COMPLETIONS_RESPONSE, 'the completions response', res);
}

/** The accepted keystroke a refusal varies; the check is not applicable unless the gateway completes it. */
async function gatewayAcceptsOAuth(env: ConditionEnv, accessToken: string): Promise<void> {
  const res = await oauthKeystroke(env, accessToken, 'keystroke with the OAuth access token (control request)');
  expectOAuthTypeServed(env, res);
  expectControlAccepted(env, res, 'keystroke with an OAuth access token', SETUP_HINT);
}

export const CompletesCodeForTheWebIdeToken = (role: GitlabRole) =>
  condition({
    name: 'EnsureGatewayCompletesOAuthKeystroke',
    title: `POST /v2/code/completions with the Web IDE's OAuth access token (Bearer, ${HEADER.AUTHENTICATION_TYPE}: ${AUTHENTICATION_TYPE_OAUTH2}) returns a completion`,
    needs: { app: oauthAppOf(`${role}:web-ide`) },
    async evaluate({ app }, env) {
      const m = await mintTokens(env, role, app);
      const res = await oauthKeystroke(env, m.tokens.access_token, 'keystroke: POST /v2/code/completions (OAuth access token)');
      expectOAuthTypeServed(env, res);
      expectCompletion(res, "a keystroke with the Web IDE's access token");
    },
  });

export const CompletesCodeAfterARefresh = (role: GitlabRole) =>
  condition({
    name: 'EnsureGatewayCompletesAfterRefresh',
    title: "The access token of a refresh (the Web IDE's near-expiry step) is completed by the gateway too",
    needs: { app: oauthAppOf(`${role}:web-ide`) },
    async evaluate({ app }, env) {
      const m = await mintTokens(env, role, app);
      const refreshToken = m.tokens.refresh_token ?? env.notApplicable('the code exchange returned no refresh_token');
      const res = await refresh(env, role, app, refreshToken, undefined, 'POST /oauth/token (refresh_token: near expiry)');
      const tokens = tokenSetOf(res);
      if (!tokens) return env.notApplicable(`the refresh was answered ${res.status}, not with tokens (the refresh checks say why)`);
      revokeAfterwards(env, role, app, tokens);
      const completed = await oauthKeystroke(env, tokens.access_token, 'keystroke with the refreshed access token');
      expectOAuthTypeServed(env, completed);
      expectCompletion(completed, 'a keystroke with the refreshed access token');
    },
  });

const TIMING_SLACK_SECONDS = 5;
/** Beyond this bound the check does not wait: it empties the gateway's cache, or does not apply. */
const MAX_WAIT_SECONDS = 5;

export const RefusesARevokedTokenWithinTheCacheBound = (role: GitlabRole) =>
  condition({
    name: 'EnsureRevokedOAuthTokenRefusedWithinBound',
    title: 'An access token revoked at GitLab after a completed keystroke is refused (401) by the gateway within its documented cache bound (oauth_cache_seconds) plus 5 s',
    needs: { app: oauthAppOf(`${role}:web-ide`) },
    async evaluate({ app }, env) {
      const bound = env.target('ai-gateway').oauthCacheSeconds ?? 30;
      if (bound > MAX_WAIT_SECONDS) {
        env.notApplicable(
          `the gateway documents an OAuth cache bound of ${bound} s (profile oauth_cache_seconds) and its control API offers no way to empty that cache; the check waits at most ${MAX_WAIT_SECONDS} s (give the gateway a bound <= ${MAX_WAIT_SECONDS} s, or a control route to clear its OAuth cache)`,
        );
      }
      const m = await mintTokens(env, role, app);
      await gatewayAcceptsOAuth(env, m.tokens.access_token);
      const revoked = await revoke(env, role, app, m.tokens.access_token, 'access_token', 'POST /oauth/revoke (the access token)');
      expectControlAccepted(env, revoked, 'revocation of the access token');
      const deadline = Date.now() + (bound + TIMING_SLACK_SECONDS) * 1000;
      let res = await oauthKeystroke(env, m.tokens.access_token, 'keystroke with the revoked access token');
      while (res.status === 200 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 500));
        res = await oauthKeystroke(env, m.tokens.access_token, 'keystroke with the revoked access token (again)');
      }
      expectRefusal(res, [FORBIDDEN], `a keystroke with an access token revoked ${bound} s + ${TIMING_SLACK_SECONDS} s ago at most`);
    },
  });

/** What a gateway answers a token of the wrong kind: refused as forbidden, or its type refused where it knows no OAuth. */
const WRONG_KIND: Refusal[] = [FORBIDDEN, { status: 401, body: { error: GATEWAY_AUTH_ERROR.INVALID_TYPE } }];

export const RefusesAnAiJwtAsAnOAuthToken = (role: GitlabRole) =>
  condition({
    name: 'EnsureJwtNotTakenAsOAuthToken',
    title: `An AI access token (JWT) sent with ${HEADER.AUTHENTICATION_TYPE}: ${AUTHENTICATION_TYPE_OAUTH2} -> 401; the same JWT as ${AUTHENTICATION_TYPE_OIDC} is completed`,
    needs: { jwt: aiTokenOf(role) },
    async evaluate({ jwt }, env) {
      await gatewayAccepts(env, { token: jwt.token, claims: jwt.decoded.claims });
      const res = await keystroke(env, { ...gatewayHeaders(jwt.token, jwt.decoded.claims), [HEADER.AUTHENTICATION_TYPE]: AUTHENTICATION_TYPE_OAUTH2 }, `keystroke: the JWT as ${AUTHENTICATION_TYPE_OAUTH2}`);
      expectRefusal(res, WRONG_KIND, `a JWT sent as ${AUTHENTICATION_TYPE_OAUTH2}`);
    },
  });

export const RefusesAnOAuthTokenAsAJwt = (role: GitlabRole) =>
  condition({
    name: 'EnsureOAuthTokenNotTakenAsJwt',
    title: `The Web IDE's OAuth access token sent with ${HEADER.AUTHENTICATION_TYPE}: ${AUTHENTICATION_TYPE_OIDC} -> 401; the same token as ${AUTHENTICATION_TYPE_OAUTH2} is completed`,
    needs: { app: oauthAppOf(`${role}:web-ide`) },
    async evaluate({ app }, env) {
      const m = await mintTokens(env, role, app);
      await gatewayAcceptsOAuth(env, m.tokens.access_token);
      const res = await oauthKeystroke(env, m.tokens.access_token, `keystroke: the OAuth token as ${AUTHENTICATION_TYPE_OIDC}`, AUTHENTICATION_TYPE_OIDC);
      expectRefusal(res, [FORBIDDEN], `an OAuth access token sent as ${AUTHENTICATION_TYPE_OIDC}`);
      expectThat(!res.text.includes(m.tokens.access_token), `${res.request} echoed the access token`, { expected: 'a body without the token', actual: shownBody(res), res });
    },
  });
