/**
 * Conditions on seed 001: a self-managed instance relays its users' token requests to SaaS with
 * the service access token (SAT) its admin stored; SaaS's JWT (realm self-managed) opens the
 * gateway. The personas, the IDE's loop, the error branches the seed lists, how the relay fails
 * when SaaS does, and that the stored token never leaves the relay but in its Authorization
 * header. Checks that change the instance (settings, flags, groups, keys, the relay's target)
 * register the undo; refusals are paired with the valid request they vary.
 */
import { readFileSync } from 'node:fs';
import { FEATURE_FLAG, GITLAB_ERROR, GITLAB_REALM, HEADER, PATH, SCHEMA, USER_AGENT, type Role } from '#contracts';
import { changeResource, receivedRequests, rotateSigningKeyFrom, setFlag, withdrawKey } from '../checks/control.js';
import { expectError, expectNotEchoed, expectSchema, expectStatus, expectThat, shownBody } from '../checks/expect.js';
import { FaultServer, answer, type FaultAnswer } from '../checks/fault-server.js';
import { decodeJwt } from '../checks/jwt.js';
import { IdeClient, TokenRequestRefused, type HeldToken } from '../clients/ide-client.js';
import { freePort } from '../runner/stack/ports.js';
import { condition, type ConditionEnv, type NeedEnv } from '../runner/condition.js';
import type { HttpResponse } from '../runner/types.js';
import { expectControlAccepted } from './issuer.js';
import { aiTokenOf, controlOf, discoveryOf, idePatOf, keysOf, patOf, serviceAccessToken } from './needs.js';

const SM = 'gitlab-sm';
const SAAS = 'gitlab-saas';
const KEYSTROKES = 3;
/** A relay timeout short enough for a check, long enough for loopback. */
export const RELAY_TIMEOUT_MS = 750;
const bearer = (token: string) => ({ [HEADER.AUTHORIZATION]: `Bearer ${token}` });

/** The IDE (VS Code) configured with the developer's PAT, talking to the self-managed instance and the gateway. */
function ideFor(env: NeedEnv, pat: string, now?: () => number): IdeClient {
  return new IdeClient({ gitlab: env.http('ide', SM), gateway: env.http('ide', 'ai-gateway'), personalAccessToken: pat, ...(now ? { now } : {}) });
}

/** A JWT for the IDE; a refused token request fails the check with the response it got. */
async function obtain(ide: IdeClient): Promise<HeldToken> {
  try {
    return await ide.ensureToken();
  } catch (e) {
    if (e instanceof TokenRequestRefused) expectStatus(e.response, [200, 201]);
    throw e;
  }
}

const askForJwt = (env: NeedEnv, pat: string, label: string): Promise<HttpResponse> =>
  env.http('ide', SM).request({ method: 'POST', path: PATH.GITLAB_CODE_SUGGESTIONS_TOKENS, headers: bearer(pat), label });

/** The IDE's token request, sent in this check: a refusal below counts only if it was relayed fine. */
async function relayAccepts(env: NeedEnv, pat: string): Promise<void> {
  expectControlAccepted(env, await askForJwt(env, pat, 'IDE: POST tokens (control request)'), 'relayed token request (the IDE\'s PAT)');
}

// --- Personas (steps 1-7) ----------------------------------------------------------------

export const AuthenticatesTheServiceAccountAtSaas = condition({
  name: 'EnsureServiceTokenAuthenticatesAtSaas',
  title: 'The service access token (SAT) the admin got from GitLab Inc. authenticates its service account at SaaS',
  needs: { sat: serviceAccessToken },
  async evaluate({ sat }, env) {
    const res = await env.http('harness', SAAS).request({ method: 'GET', path: PATH.GITLAB_USER, headers: bearer(sat), label: 'GET /api/v4/user (SAT)' });
    expectStatus(res, 200);
    const username = (res.json as { username?: unknown } | undefined)?.username;
    expectThat(typeof username === 'string', 'GET /api/v4/user did not name the service account', { expected: { username: 'a string' }, actual: res.json, res });
  },
});

export const PublishesTheSaasSigningKeys = condition({
  name: 'EnsureSaasPublishesSigningKeys',
  title: 'SaaS publishes its signing keys (discovery, then jwks_uri): the relayed JWT will be checked against them',
  needs: { discovery: discoveryOf(SAAS), keys: keysOf(SAAS) },
  async evaluate({ discovery, keys }) {
    expectSchema(discovery.doc, SCHEMA.OPENID_CONFIGURATION, 'the discovery document', discovery.res);
    expectSchema(keys.jwks, SCHEMA.JWKS, 'the JWKS', keys.res);
  },
});

const putSettings = (env: NeedEnv, token: string, settings: Record<string, unknown>, label: string) =>
  env.http('harness', SM).request({ method: 'PUT', path: PATH.GITLAB_APPLICATION_SETTINGS, headers: bearer(token), json: settings, label });

export const StoresTheServiceTokenThroughTheAdminApi = condition({
  name: 'EnsureAdminStoresServiceToken',
  title: 'The SM admin stores the SAT with PUT /api/v4/application/settings; the answer confirms it without repeating it',
  needs: { sat: serviceAccessToken, admin: patOf(`${SM}:admin`) },
  async evaluate({ sat, admin }, env) {
    // The profile's SAT is what the instance is meant to hold: storing it again changes nothing.
    const res = await putSettings(env, admin, { ai_access_token: sat }, 'admin: PUT application/settings (store SAT)');
    expectStatus(res, 200);
    expectNotEchoed(res, sat, 'service access token');
    expectThat((res.json as { ai_access_token_set?: unknown })?.ai_access_token_set === true, 'the settings do not say a token is stored', { expected: { ai_access_token_set: true }, actual: res.json, res });
  },
});

export const NeverReturnsTheStoredToken = condition({
  name: 'EnsureSettingsNeverReturnServiceToken',
  title: 'GET /api/v4/application/settings never returns the stored service access token',
  needs: { sat: serviceAccessToken, admin: patOf(`${SM}:admin`) },
  async evaluate({ sat, admin }, env) {
    const res = await env.http('harness', SM).request({ method: 'GET', path: PATH.GITLAB_APPLICATION_SETTINGS, headers: bearer(admin), label: 'admin: GET application/settings' });
    expectStatus(res, 200);
    expectNotEchoed(res, sat, 'service access token');
  },
});

export const RefusesSettingsChangesByNonAdmins = condition({
  name: 'EnsureSettingsAdminOnly',
  title: 'A developer\'s api token cannot change application settings: 403 {"message":"403 Forbidden"}',
  needs: { sat: serviceAccessToken, admin: patOf(`${SM}:admin`), developer: patOf(`${SM}:api`) },
  async evaluate({ sat, admin, developer }, env) {
    expectControlAccepted(env, await putSettings(env, admin, { ai_access_token: sat }, 'admin: PUT application/settings (control request)'), 'settings change by the admin');
    const res = await putSettings(env, developer, { ai_access_token: 'glpat-an-attacker-wants-this-stored' }, 'developer: PUT application/settings');
    expectError(res, 403, GITLAB_ERROR.FORBIDDEN);
  },
});

export const AuthenticatesTheDeveloperPat = condition({
  name: 'EnsureDeveloperPatAuthenticates',
  title: 'The PAT the SM user obtained authenticates them at the self-managed instance',
  needs: { pat: patOf(`${SM}:api`) },
  async evaluate({ pat }, env) {
    expectStatus(await env.http('harness', SM).request({ method: 'GET', path: PATH.GITLAB_USER, headers: bearer(pat), label: 'GET /api/v4/user (developer PAT)' }), 200);
  },
});

export const LetsTheIdeCheckTheConfiguredPat = condition({
  name: 'EnsureIdeCanReadItsPat',
  title: 'Configured with the PAT, the IDE reads GET /api/v4/personal_access_tokens/self: active, with ai_features or api',
  needs: { pat: idePatOf(SM) },
  async evaluate({ pat }, env) {
    const res = await env.http('ide', SM).request({ method: 'GET', path: PATH.GITLAB_PAT_SELF, headers: bearer(pat), label: 'IDE: GET personal_access_tokens/self' });
    expectStatus(res, 200);
    const token = res.json as { active?: unknown; scopes?: unknown };
    const scopes = Array.isArray(token?.scopes) ? (token.scopes as string[]) : [];
    expectThat(token?.active === true && (scopes.includes('ai_features') || scopes.includes('api')), 'the configured PAT is not an active token with ai_features or api', {
      expected: { active: true, scopes: ['ai_features | api'] },
      actual: res.json,
      res,
    });
  },
});

// --- The IDE's loop (steps 8-13) ---------------------------------------------------------

export const RelaysTheTokenRequestToSaas = condition({
  name: 'EnsureRelayedTokenRequestGetsJwt',
  title: "The IDE's PAT at the self-managed instance gets a JWT, which the instance fetched from SaaS with the SAT",
  needs: { pat: idePatOf(SM) },
  async evaluate({ pat }, env) {
    const held = await obtain(ideFor(env, pat));
    expectSchema(held.response.json, SCHEMA.CODE_SUGGESTIONS_TOKEN_RESPONSE, 'the relayed token response', held.response);
  },
});

export const RelaysAsWorkhorseWithTheServiceToken = condition({
  name: 'EnsureRelayLooksLikeWorkhorse',
  title: 'SaaS sees the relayed request: POST /api/v4/code_suggestions/tokens with a gitlab-workhorse User-Agent',
  needs: { pat: idePatOf(SM), saas: controlOf(SAAS) },
  async evaluate({ pat, saas }, env) {
    // Only what this check's own token request caused counts: SaaS's log holds earlier traffic too.
    const relayedSoFar = async () =>
      (await receivedRequests(saas, [PATH.GITLAB_CODE_SUGGESTIONS_TOKENS])).filter((r) => r.method === 'POST' && (r.userAgent ?? '').startsWith(USER_AGENT.RELAY_PREFIX));
    const before = (await relayedSoFar()).length;
    await obtain(ideFor(env, pat));
    let relayed = (await relayedSoFar()).slice(before);
    for (let waited = 0; relayed.length === 0 && waited < 500; waited += 50) {
      await new Promise((r) => setTimeout(r, 50)); // SaaS logs a request just after answering it
      relayed = (await relayedSoFar()).slice(before);
    }
    expectThat(relayed.length === 1 && (relayed[0]!.status === 201 || relayed[0]!.status === 200), 'SaaS did not see exactly one relayed token request, answered 2xx', {
      expected: { 'POST /api/v4/code_suggestions/tokens': `one, User-Agent ${USER_AGENT.RELAY_PREFIX}..., answered 2xx` },
      actual: relayed.length ? relayed : 'no request with a gitlab-workhorse User-Agent reached SaaS',
    });
  },
});

export const MarksTheRelayedJwtSelfManaged = condition({
  name: 'EnsureRelayedJwtIsSelfManaged',
  title: 'The relayed JWT names SaaS as issuer and realm self-managed, and its claims match the contract',
  needs: { token: aiTokenOf(SM) },
  async evaluate({ token: { decoded, res } }, env) {
    const { claims } = decoded;
    expectSchema(claims, SCHEMA.AI_ACCESS_TOKEN_CLAIMS, "the relayed JWT's claims", res);
    const issuer = env.target(SAAS).issuer;
    expectThat(claims.iss === issuer && claims.gitlab_realm === GITLAB_REALM.SELF_MANAGED, 'the relayed JWT must come from SaaS for the self-managed realm', {
      expected: { iss: issuer, gitlab_realm: GITLAB_REALM.SELF_MANAGED },
      actual: { iss: claims.iss, gitlab_realm: claims.gitlab_realm ?? null },
      res,
    });
  },
});

export const CompletesWithTheRelayedJwt = condition({
  name: 'EnsureRelayedJwtOpensGateway',
  title: 'The IDE gets code suggestions from the gateway with the relayed JWT',
  needs: { pat: idePatOf(SM) },
  async evaluate({ pat }, env) {
    const { response, retriedAfter401 } = await ideFor(env, pat).keystroke(undefined, 'IDE: keystroke');
    expectStatus(response, 200);
    expectSchema(response.json, SCHEMA.COMPLETIONS_RESPONSE, 'the completions response', response);
    expectThat(!retriedAfter401, 'the gateway refused the relayed JWT the first time (401)', { expected: 'accepted at once', actual: 'accepted after a new JWT' });
  },
});

export const ReusesTheJwtWhileItIsValid = condition({
  name: 'EnsureIdeReusesValidJwt',
  title: `${KEYSTROKES} more keystrokes use the JWT the IDE holds: all answered, no new token request`,
  needs: { pat: idePatOf(SM) },
  async evaluate({ pat }, env) {
    const ide = ideFor(env, pat);
    expectStatus((await ide.keystroke(undefined, 'IDE: first keystroke')).response, 200);
    const before = { requests: ide.tokenRequests, jti: ide.token!.claims.jti };
    const statuses: number[] = [];
    for (let i = 0; i < KEYSTROKES; i++) statuses.push((await ide.keystroke(undefined, `IDE: keystroke ${i + 2}`)).response.status);
    expectThat(statuses.every((s) => s === 200), 'the gateway did not accept the same JWT on every keystroke', { expected: Array(KEYSTROKES).fill(200), actual: statuses });
    expectThat(ide.tokenRequests === before.requests && ide.token!.claims.jti === before.jti, 'the IDE asked for a new JWT although its own was valid', {
      expected: { tokenRequests: before.requests },
      actual: { tokenRequests: ide.tokenRequests },
    });
  },
});

export const IssuesANewJwtWhenTheHeldOneExpires = condition({
  name: 'EnsureExpiredJwtReplaced',
  title: 'An hour later the held JWT is expiring: the IDE asks again and the new JWT (another jti) is accepted',
  needs: { pat: idePatOf(SM) },
  async evaluate({ pat }, env) {
    // Only the IDE's clock moves: GitLab and the gateway keep real time, so the new JWT is valid now.
    const clock = { now: Date.now() };
    const ide = ideFor(env, pat, () => clock.now);
    const old = await obtain(ide);
    clock.now = old.expiresAt * 1000;
    const { response } = await ide.keystroke(undefined, 'IDE: keystroke after expiry');
    expectThat(ide.token!.claims.jti !== old.claims.jti, 'the IDE kept the expired JWT', { expected: 'a new jti', actual: { jti: ide.token!.claims.jti } });
    expectStatus(response, 200);
  },
});

/**
 * The gateway refuses the JWT the IDE holds (its signing key was withdrawn): one new JWT from
 * GitLab is accepted. The withdrawn key is one this check published for the purpose, so the
 * instance's own keys are as before when it ends.
 */
export const RecoversFromAGateway401WithANewJwt = condition({
  name: 'EnsureIdeRecoversFromGateway401',
  title: 'When the gateway refuses the held JWT (its signing key was withdrawn), one new JWT from GitLab is accepted',
  needs: { pat: idePatOf(SM), saas: controlOf(SAAS), gateway: controlOf('ai-gateway') },
  async evaluate({ pat, saas, gateway }, env: ConditionEnv) {
    const { kid, previous } = await rotateSigningKeyFrom(env, saas);
    const ide = ideFor(env, pat);
    const held = await obtain(ide);
    if (decodeJwt(held.token).header.kid !== kid) return env.notApplicable('SaaS issues tokens without kid, so no single key can be withdrawn from under the IDE');
    expectStatus((await ide.keystroke(undefined, 'IDE: keystroke with a JWT of the new key')).response, 200);
    await withdrawKey(saas, kid, previous);
    await gateway.clearJwksCache();
    const requestsBefore = ide.tokenRequests;
    const { response, retriedAfter401 } = await ide.keystroke(undefined, 'IDE: keystroke with a withdrawn key');
    expectThat(retriedAfter401, 'the gateway accepted a JWT whose signing key SaaS no longer publishes', { expected: { first: 401 }, actual: { first: response.status, body: shownBody(response) }, res: response });
    expectStatus(response, 200);
    expectThat(ide.tokenRequests === requestsBefore + 1, 'the IDE did not get exactly one new JWT', { expected: requestsBefore + 1, actual: ide.tokenRequests });
  },
});

// --- Error branches of seed 001 ------------------------------------------------------------

/** Changes the instance's application settings for the rest of the check; the undo puts `restore` back. */
async function changeSettings(env: ConditionEnv, admin: string, change: Record<string, unknown>, restore: Record<string, unknown>): Promise<void> {
  const res = await putSettings(env, admin, change, `admin: PUT application/settings ${Object.keys(change).join(', ')}`);
  expectThat(res.status === 200, 'the admin could not change the setting the check needs', { expected: { status: 200 }, actual: { status: res.status }, res });
  env.restore(`application settings ${Object.keys(change).join(', ')} of ${SM}`, async () => {
    const back = await putSettings(env, admin, restore, 'admin: restore application/settings');
    if (back.status !== 200) throw new Error(`PUT application/settings answered ${back.status}`);
  });
}

export const HidesTheEndpointWhenCodeSuggestionsAreOff = condition({
  name: 'EnsureDisabledInstanceHidesEndpoint',
  title: 'With code suggestions disabled on the instance the endpoint answers 404, and nothing reaches SaaS',
  needs: { admin: patOf(`${SM}:admin`), pat: idePatOf(SM) },
  async evaluate({ admin, pat }, env) {
    await relayAccepts(env, pat);
    await changeSettings(env, admin, { code_suggestions_enabled: false }, { code_suggestions_enabled: true });
    const saas = env.target(SAAS).control;
    const before = saas ? (await receivedRequests(saas, [PATH.GITLAB_CODE_SUGGESTIONS_TOKENS])).length : 0;
    const res = await askForJwt(env, pat, 'IDE: POST tokens (code suggestions off)');
    expectError(res, 404, GITLAB_ERROR.NOT_FOUND);
    if (saas) {
      await new Promise((r) => setTimeout(r, 100));
      const relayed = (await receivedRequests(saas, [PATH.GITLAB_CODE_SUGGESTIONS_TOKENS])).length - before;
      expectThat(relayed === 0, 'the instance relayed to SaaS although code suggestions are off', { expected: { relayedRequests: 0 }, actual: { relayedRequests: relayed } });
    }
  },
});

export const HidesTheEndpointWithoutAStoredToken = condition({
  name: 'EnsureNoStoredTokenHidesEndpoint',
  title: 'With no service access token stored the endpoint answers 404',
  needs: { admin: patOf(`${SM}:admin`), sat: serviceAccessToken, pat: idePatOf(SM) },
  async evaluate({ admin, sat, pat }, env) {
    await relayAccepts(env, pat);
    await changeSettings(env, admin, { ai_access_token: null }, { ai_access_token: sat });
    expectError(await askForJwt(env, pat, 'IDE: POST tokens (no stored token)'), 404, GITLAB_ERROR.NOT_FOUND);
  },
});

export const PassesOnSaas401ForAnUnknownServiceToken = condition({
  name: 'EnsureSaas401ForUnknownSatPassedOn',
  title: "A stored token SaaS does not know: SaaS's 401 reaches the IDE unchanged",
  needs: { admin: patOf(`${SM}:admin`), sat: serviceAccessToken, pat: idePatOf(SM) },
  async evaluate({ admin, sat, pat }, env) {
    await relayAccepts(env, pat);
    await changeSettings(env, admin, { ai_access_token: 'glpat-never-issued-by-saas-000000' }, { ai_access_token: sat });
    expectError(await askForJwt(env, pat, 'IDE: POST tokens (unknown stored token)'), 401, GITLAB_ERROR.UNAUTHORIZED);
  },
});

export const PassesOnSaas401WithoutTheInstanceAdminFlag = condition({
  name: 'EnsureSaas401WithoutFlagPassedOn',
  title: 'SaaS answers 401 when the service account lacks code_suggestions_for_instance_admin_enabled; the IDE gets it',
  needs: { saas: controlOf(SAAS), pat: idePatOf(SM) },
  async evaluate({ saas, pat }, env) {
    await relayAccepts(env, pat);
    await setFlag(env, saas, FEATURE_FLAG.INSTANCE_ADMIN_ENABLED, { enabled: false });
    expectError(await askForJwt(env, pat, 'IDE: POST tokens (flag off at SaaS)'), 401, GITLAB_ERROR.UNAUTHORIZED);
  },
});

export const PassesOnSaas401WithoutCodeSuggestionsForTheAccount = condition({
  name: 'EnsureSaas401WithoutGroupAccessPassedOn',
  title: "SaaS answers 401 when none of the service account's root groups has code suggestions; the IDE gets it",
  needs: { saas: controlOf(SAAS), sat: serviceAccessToken, pat: idePatOf(SM) },
  async evaluate({ saas, sat, pat }, env) {
    const groups = await env.http('harness', SAAS).request({ method: 'GET', path: PATH.GITLAB_GROUPS, headers: bearer(sat), label: 'GET /api/v4/groups (SAT)' });
    const paths = Array.isArray(groups.json) ? (groups.json as Array<{ path: string }>).map((g) => g.path) : [];
    if (!paths.length) return env.notApplicable('the service account is in no group, so there is nothing to turn off');
    await relayAccepts(env, pat);
    for (const p of paths) {
      await changeResource(env, saas, saas.group(p), { code_suggestions_enabled: false }, (before) => ({ code_suggestions_enabled: before.code_suggestions_enabled }));
    }
    expectError(await askForJwt(env, pat, 'IDE: POST tokens (groups without code suggestions)'), 401, GITLAB_ERROR.UNAUTHORIZED);
  },
});

// --- How the relay fails when SaaS does ------------------------------------------------------

interface Relayed {
  res: HttpResponse;
  sat: string;
  fault: FaultServer;
}

/**
 * Points the relay at a harness stand-in for SaaS (a fault server answering as told, or a closed
 * port) for one IDE token request; the undo points it back. With the fault server as SaaS the
 * relay must have reached it, or the answer says nothing about the failure mode: an instance
 * in a container or on another host has a loopback of its own (the check is then not applicable).
 */
async function throughRelayTo(env: ConditionEnv, to: FaultAnswer | 'closed-port', label: string): Promise<Relayed> {
  const control = await env.need(controlOf(SM));
  const sat = await env.need(serviceAccessToken);
  const pat = await env.need(idePatOf(SM));
  await relayAccepts(env, pat);
  const fault = await new FaultServer().start();
  env.restore('the stand-in SaaS', () => fault.close());
  let saasUrl = fault.url;
  if (to === 'closed-port') saasUrl = `http://127.0.0.1:${await freePort()}`;
  else fault.answer = to;
  // Pointed back right after the one request, so a second failure mode in the same check starts from the real SaaS.
  const before = await control.relay.get();
  await control.relay.set({ saas_url: saasUrl, timeout_ms: RELAY_TIMEOUT_MS });
  let res: HttpResponse;
  try {
    res = await env.http('ide', SM).request({ method: 'POST', path: PATH.GITLAB_CODE_SUGGESTIONS_TOKENS, headers: bearer(pat), label, timeoutMs: RELAY_TIMEOUT_MS + 5000 });
  } finally {
    await control.relay.set(before);
  }
  if (to !== 'closed-port' && fault.seen.length === 0) {
    return env.notApplicable(
      `gitlab-sm never reached the harness's stand-in SaaS at ${fault.url} (it answered ${res.status}): an instance in a container or on another host cannot reach the harness's loopback, so this failure mode cannot be driven from here`,
    );
  }
  return { res, sat, fault };
}

/** A relay failure: the expected status, GitLab's {"message"} shape, the stored token nowhere in it. */
function expectRelayFailure({ res, sat }: Relayed, status: number | number[]): void {
  expectStatus(res, status);
  expectSchema(res.json, SCHEMA.GITLAB_MESSAGE_ERROR, "the relay's error body", res);
  expectNotEchoed(res, sat, 'stored service access token');
}

export const SendsTheStoredTokenAsWorkhorse = condition({
  name: 'EnsureRelaySendsStoredTokenAsWorkhorse',
  title: 'The relay calls SaaS with POST, Authorization: Bearer <stored token> and a gitlab-workhorse User-Agent',
  needs: {},
  async evaluate(_input, env) {
    const relayed = await throughRelayTo(env, answer(401, '{"message":"401 Unauthorized"}'), 'IDE: POST tokens (relay to the harness)');
    const { fault, sat, res } = relayed;
    const request = fault.seen[0]!;
    expectThat(fault.seen.length === 1, `the relay sent ${fault.seen.length} requests to SaaS for one token request`, { expected: 1, actual: fault.seen.length, res });
    expectThat(
      request.method === 'POST' &&
        request.path === PATH.GITLAB_CODE_SUGGESTIONS_TOKENS &&
        request.headers.authorization === `Bearer ${sat}` &&
        (request.headers['user-agent'] ?? '').startsWith(USER_AGENT.RELAY_PREFIX),
      'the relayed request is not what Workhorse sends',
      {
        expected: { method: 'POST', path: PATH.GITLAB_CODE_SUGGESTIONS_TOKENS, authorization: 'Bearer <stored token>', 'user-agent': `${USER_AGENT.RELAY_PREFIX}...` },
        actual: {
          method: request.method,
          path: request.path,
          authorization: request.headers.authorization === `Bearer ${sat}` ? 'Bearer <stored token>' : 'something else',
          'user-agent': request.headers['user-agent'] ?? null,
        },
      },
    );
  },
});

export const AnswersWhenSaasIsUnreachable = condition({
  name: 'EnsureRelay502WhenSaasUnreachable',
  title: 'SaaS unreachable (connection refused) -> 502 with a JSON message',
  needs: {},
  async evaluate(_input, env) {
    expectRelayFailure(await throughRelayTo(env, 'closed-port', 'IDE: POST tokens (SaaS unreachable)'), 502);
  },
});

export const AnswersWhenSaasHangs = condition({
  name: 'EnsureRelay504WhenSaasHangs',
  title: `SaaS accepting the connection but never answering -> 504 within the relay timeout (${RELAY_TIMEOUT_MS} ms), never a hang`,
  needs: {},
  async evaluate(_input, env) {
    const relayed = await throughRelayTo(env, { kind: 'hang' }, 'IDE: POST tokens (SaaS hangs)');
    expectRelayFailure(relayed, 504);
    expectThat(relayed.res.durationMs < RELAY_TIMEOUT_MS + 3000, 'the relay took far longer than its timeout to give up', {
      expected: { durationMs: `< ${RELAY_TIMEOUT_MS + 3000}` },
      actual: { durationMs: relayed.res.durationMs },
      res: relayed.res,
    });
  },
});

export const AnswersWhenSaasFails = condition({
  name: 'EnsureRelay5xxWhenSaasFails',
  title: 'SaaS answering 500 -> 502, 503 -> 502 or 503, each with a JSON message',
  needs: {},
  async evaluate(_input, env) {
    expectRelayFailure(await throughRelayTo(env, answer(500, "<html>We're sorry, something went wrong</html>", 'text/html'), 'IDE: POST tokens (SaaS 500)'), 502);
    expectRelayFailure(await throughRelayTo(env, answer(503, '{"message":"503 Service Unavailable"}'), 'IDE: POST tokens (SaaS 503)'), [502, 503]);
  },
});

export const AnswersForAMalformedSaasAnswer = condition({
  name: 'EnsureRelay502ForMalformedAnswer',
  title: 'SaaS answering 2xx with HTML or with JSON that is no token response -> 502, never passed on as a token',
  needs: {},
  async evaluate(_input, env) {
    expectRelayFailure(await throughRelayTo(env, answer(200, '<html><body>Sign in</body></html>', 'text/html'), 'IDE: POST tokens (SaaS HTML)'), 502);
    expectRelayFailure(await throughRelayTo(env, answer(201, '{"token":"not-a-jwt","expires":"soon"}'), 'IDE: POST tokens (SaaS wrong JSON)'), 502);
  },
});

/** A SaaS answer with members the contract does not name is passed on unchanged: the relay is no filter (seed 001 step 10). */
export const PassesExtraTokenResponseMembersThrough = condition({
  name: 'EnsureRelayPassesAnswerUnchanged',
  title: "SaaS's token answer with an extra member reaches the IDE unchanged (the relay validates SaaS's answer with an open schema)",
  needs: {},
  async evaluate(_input, env) {
    const body = { access_token: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln', expires_in: 3600, created_at: Math.floor(Date.now() / 1000), token_type: 'Bearer' };
    const relayed = await throughRelayTo(env, answer(201, JSON.stringify(body)), 'IDE: POST tokens (SaaS answer with an extra member)');
    expectStatus(relayed.res, [200, 201]);
    expectThat(JSON.stringify(relayed.res.json) === JSON.stringify(body), "the relay changed SaaS's token answer", { expected: body, actual: relayed.res.json, res: relayed.res });
  },
});

/** A SaaS that echoes the stored token (in WWW-Authenticate, in the body): none of it reaches the IDE. */
export const KeepsTheStoredTokenOutOfPassedAnswers = condition({
  name: 'EnsureRelayNeverPassesStoredToken',
  title: "A SaaS answer echoing the stored token in WWW-Authenticate and in its body: the IDE's answer (headers and body) never carries it",
  needs: {},
  async evaluate(_input, env) {
    const echo: FaultAnswer = {
      kind: 'respond',
      respond: (seen) => {
        const presented = String(seen.headers.authorization ?? '').replace(/^Bearer /, '');
        return {
          status: 401,
          headers: { 'www-authenticate': `Bearer realm="GitLab", error="invalid_token", error_description="token ${presented} is not valid"` },
          body: JSON.stringify({ message: `401 Unauthorized: ${presented}` }),
        };
      },
    };
    const { res, sat } = await throughRelayTo(env, echo, 'IDE: POST tokens (SaaS echoes the stored token)');
    const leaks = Object.entries(res.headers).filter(([, v]) => v.includes(sat)).map(([h]) => h);
    expectThat(leaks.length === 0, `the relay passed the stored token on in header(s) ${leaks.join(', ')}`, { expected: 'no header carrying the stored token', actual: { headers: leaks }, res });
    expectNotEchoed(res, sat, 'stored service access token');
  },
});

/** The loop of the diagram once: the IDE's first keystroke, without a JWT, so a token through the relay and then the completion. */
export const FirstKeystrokeReplay = {
  flow: "the IDE's first keystroke: no JWT yet, so a token through the relay, then the completion",
  prepare: (env: ConditionEnv) => env.need(idePatOf(SM)),
  async run(env: ConditionEnv, pat: unknown) {
    const { response } = await ideFor(env, pat as string).keystroke(undefined, 'IDE: first keystroke');
    // Step 12 (code suggestions) is a reply, which the request order cannot show: a gateway that
    // refuses every JWT makes the IDE loop through the relay again, in the diagram's order.
    expectStatus(response, 200);
  },
};

// --- Secrecy -----------------------------------------------------------------------------------

const LOGGED_ROLES: Role[] = [SM, SAAS, 'ai-gateway'];
/** A signed JWT: three segments with a signature long enough to be real. */
const SIGNED_JWT = /eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]{40,}/;

export const KeepsCredentialsOutOfLogs = condition({
  name: 'EnsureLogsHoldNoCredential',
  title: 'No log line of the self-managed instance, SaaS or the gateway holds the service token, a PAT, a password or a signed JWT',
  needs: {},
  async evaluate(_input, env) {
    const readable = LOGGED_ROLES.map((role) => env.target(role)).filter((t) => t.logFile);
    if (!readable.length) return env.notApplicable('every role is an external implementation and the profile names no log_file for any: the harness cannot read their logs');
    const secrets = new Map<string, string>();
    for (const role of [SM, SAAS] as const) {
      const { personalAccessTokens, serviceAccessToken: sat, user } = env.credentials(role);
      for (const [purpose, token] of Object.entries(personalAccessTokens)) if (token) secrets.set(token, `${role} PAT ${purpose}`);
      if (sat) secrets.set(sat, 'service access token');
      if (user) secrets.set(user.password, `${role} password`);
    }
    // Log lines are written asynchronously; give the last ones a moment to land.
    await new Promise((r) => setTimeout(r, 250));
    const leaks: string[] = [];
    for (const target of readable) {
      readFileSync(target.logFile!, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          for (const [secret, what] of secrets) if (line.includes(secret)) leaks.push(`${target.role} log line ${i + 1}: ${what}`);
          if (SIGNED_JWT.test(line)) leaks.push(`${target.role} log line ${i + 1}: a signed JWT`);
        });
    }
    expectThat(leaks.length === 0, `${leaks.length} log line(s) hold a credential`, { expected: 'no credential in any log line', actual: leaks.slice(0, 20) });
  },
});
