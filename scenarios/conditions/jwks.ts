/**
 * Conditions on how the gateway keeps the issuer's keys (seed 000 option 2 steps 5-7,
 * checklist gateway-auth 6, 15-17, 21): keystrokes are verified from cached keys; a newly
 * published key is used within the gateway's documented re-fetch cooldown (and, better, at
 * once); unknown kids cost the issuer at most one re-fetch and cannot keep a real new key out;
 * an issuer that was down comes back without a restart. Every check that changes the issuer's
 * keys or faults registers the undo, so later checks see the system as it was.
 */
import { PATH } from '#contracts';
import { countRequestsDuring, mint, rotateSigningKey, rotateSigningKeyFrom, withdrawKey } from '../checks/control.js';
import { expectThat, shownBody } from '../checks/expect.js';
import { ForeignKey, decodeJwt } from '../checks/jwt.js';
import { gatewayHeaders } from '../clients/code-suggestions.js';
import { condition, type ConditionEnv, type Need, type NeedEnv } from '../runner/condition.js';
import type { ControlClient, HttpResponse } from '../runner/types.js';
import { FORBIDDEN, expectRefusal, gatewayAccepts, keystroke, type Held } from './gateway.js';
import { aiTokenOf, controlOf, keysOf, type AiToken, type GitlabRole } from './needs.js';

const KEYSTROKES = 5;
/** Slack on top of a gateway's documented cooldown before a timing check gives up. */
export const TIMING_SLACK_SECONDS = 5;
const POLL_MS = 250;

/** The longest the gateway may take to use a new key or keys of an issuer that came back. */
export function refetchBoundMs(env: NeedEnv): number {
  return ((env.target('ai-gateway').jwksRefetchCooldownSeconds ?? 30) + TIMING_SLACK_SECONDS) * 1000;
}

/** Keystrokes with `token` until one is completed, within the gateway's documented bound; fails naming `what` otherwise. */
async function expectAcceptedWithinBound(env: NeedEnv, token: Held, label: string, what: string): Promise<void> {
  const bound = refetchBoundMs(env);
  const { accepted, answers, last } = await keystrokeUntilAccepted(env, token, bound, label);
  expectThat(accepted, `${what} within ${bound / 1000} s (the gateway's cooldown from the profile + ${TIMING_SLACK_SECONDS} s)`, {
    expected: { status: 200, within: `${bound / 1000} s` },
    actual: { answers, last: { status: last.status, body: shownBody(last) } },
    res: last,
  });
}

/** Sends the keystroke until it is completed or the bound passes; every answer is kept for the report. */
async function keystrokeUntilAccepted(env: NeedEnv, token: Held, boundMs: number, label: string): Promise<{ accepted: boolean; answers: Array<{ afterMs: number; status: number }>; last: HttpResponse }> {
  const started = Date.now();
  const answers: Array<{ afterMs: number; status: number }> = [];
  for (;;) {
    const res = await keystroke(env, gatewayHeaders(token.token, token.claims), `${label} (${answers.length + 1})`);
    answers.push({ afterMs: Date.now() - started, status: res.status });
    if (res.status === 200 || res.status >= 500 || Date.now() - started >= boundMs) return { accepted: res.status === 200, answers: answers.slice(-10), last: res };
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

export const ServesKeystrokesFromTheKeyCache = (issuer: GitlabRole, source: Need<AiToken> = aiTokenOf(issuer)) =>
  condition({
    name: 'EnsureKeystrokesUseCachedKeys',
    title: `${KEYSTROKES} keystrokes in a row are verified from the cached keys: no discovery or JWKS fetch while the cache is fresh`,
    needs: { token: source, control: controlOf(issuer), keys: keysOf(issuer) },
    async evaluate({ token, control, keys }, env) {
      const t = { token: token.token, claims: token.decoded.claims };
      // The control keystroke warms a cold cache: what counts is what happens after it.
      await gatewayAccepts(env, t, 'keystroke that warms the key cache (control request)');
      const statuses: number[] = [];
      const fetches = await countRequestsDuring(control, keys.keyPaths, async () => {
        for (let i = 0; i < KEYSTROKES; i++) statuses.push((await keystroke(env, gatewayHeaders(t.token, t.claims), `keystroke ${i + 1}`)).status);
      });
      expectThat(statuses.every((s) => s === 200), 'every keystroke must be answered 200', { expected: Array(KEYSTROKES).fill(200), actual: statuses });
      expectThat(fetches === 0, 'the gateway fetched keys again although its cache was fresh', { expected: { keyFetches: 0 }, actual: { keyFetches: fetches, paths: keys.keyPaths } });
    },
  });

/**
 * Publishes a new active key (restored after the check) and mints a token with it, after a valid
 * keystroke; `previous` is the key that was active before. Not applicable when the issuer's
 * tokens carry no kid.
 */
async function tokenOfANewKey(env: ConditionEnv, control: ControlClient, issuerToken: Held): Promise<{ kid: string; previous: string; token: Held }> {
  await gatewayAccepts(env, issuerToken);
  const { kid, previous } = await rotateSigningKeyFrom(env, control);
  const minted = await mint(control);
  if (decodeJwt(minted.token, 'the token signed with the new key').header.kid !== kid) {
    return env.notApplicable('the issuer does not put kid in its tokens, so the gateway cannot tell a key is new');
  }
  return { kid, previous, token: { token: minted.token, claims: minted.claims } };
}

/**
 * MUST: a token of a key the issuer just published is accepted within the gateway's documented
 * re-fetch cooldown (+5 s), through an unknown-kid or failed-signature re-fetch.
 */
export const AcceptsANewKeyWithinTheCooldown = (issuer: GitlabRole) =>
  condition({
    name: 'EnsureNewKeyUsableWithinCooldown',
    title: 'After the issuer publishes a new signing key, tokens signed with it are accepted within the gateway\'s documented re-fetch cooldown (+5 s)',
    needs: { control: controlOf(issuer), token: aiTokenOf(issuer) },
    async evaluate({ control, token }, env) {
      const { kid, token: fresh } = await tokenOfANewKey(env, control, { token: token.token, claims: token.decoded.claims });
      await expectAcceptedWithinBound(env, fresh, 'keystroke with a token of the new key', `a token signed with the newly published key ${kid} was not accepted`);
    },
  });

/** SHOULD: the first token of a newly published key is accepted at once (one re-fetch on the unknown kid). */
export const AcceptsANewKeyAtOnce = (issuer: GitlabRole) =>
  condition({
    name: 'EnsureNewKeyUsableAtOnce',
    title: 'The first token signed with a newly published key is accepted at once: the gateway re-fetches the JWKS on the unknown kid',
    needs: { control: controlOf(issuer), token: aiTokenOf(issuer), keys: keysOf(issuer) },
    async evaluate({ control, token, keys }, env) {
      const { kid, token: fresh } = await tokenOfANewKey(env, control, { token: token.token, claims: token.decoded.claims });
      let res: HttpResponse | undefined;
      const fetches = await countRequestsDuring(control, keys.keyPaths, async () => {
        res = await keystroke(env, gatewayHeaders(fresh.token, fresh.claims), 'keystroke with a token of the new key');
      }, { atLeast: 1, waitMs: 1000 });
      expectThat(res!.status === 200, `the first token signed with the newly published key ${kid} was refused`, { expected: { status: 200 }, actual: { status: res!.status, body: shownBody(res!) }, res: res! });
      expectThat(fetches >= 1, 'the gateway accepted a kid it had never fetched', { expected: { keyFetches: '>= 1' }, actual: { keyFetches: fetches } });
    },
  });

/** Tokens with this kid, signed by a key nobody publishes: refused by every correct gateway, kid-blind ones included. */
function forgedWithUnknownKid(claims: Record<string, unknown>, kid: string, key = new ForeignKey(kid)): string {
  return key.sign(claims, { kid });
}

export const LimitsRefetchesForUnknownKids = (issuer: GitlabRole) =>
  condition({
    name: 'EnsureUnknownKidsRefetchAtMostOnce',
    title: `${KEYSTROKES} tokens naming a kid the issuer never published (signed by an unpublished key) are refused, with at most one JWKS re-fetch between them`,
    needs: { token: aiTokenOf(issuer), control: controlOf(issuer), keys: keysOf(issuer) },
    async evaluate({ token, control, keys }, env) {
      const t = { token: token.token, claims: token.decoded.claims };
      await gatewayAccepts(env, t);
      const forged = forgedWithUnknownKid(t.claims, `never-published-${Date.now()}`);
      const statuses: number[] = [];
      const fetches = await countRequestsDuring(control, [keys.jwksPath], async () => {
        for (let i = 0; i < KEYSTROKES; i++) statuses.push((await keystroke(env, gatewayHeaders(forged, t.claims), `keystroke with unknown kid ${i + 1}`)).status);
      });
      expectThat(statuses.every((s) => s === 401), 'a token with an unpublished kid must be refused', { expected: Array(KEYSTROKES).fill(401), actual: statuses });
      expectThat(fetches <= 1, "unknown kids made the gateway hammer the issuer's JWKS", { expected: { jwksFetches: '<= 1' }, actual: { jwksFetches: fetches } });
    },
  });

/**
 * SHOULD: forged tokens with random kids cannot spend the gateway's re-fetch budget: a key the
 * issuer publishes right after a flood of them is still accepted on its first token.
 */
export const AcceptsANewKeyAfterForgedKids = (issuer: GitlabRole) =>
  condition({
    name: 'EnsureForgedKidsCannotBlockNewKey',
    title: 'After a flood of tokens with random unknown kids, the first token of a key the issuer then publishes is still accepted at once',
    needs: { control: controlOf(issuer), token: aiTokenOf(issuer) },
    async evaluate({ control, token }, env) {
      const t = { token: token.token, claims: token.decoded.claims };
      await gatewayAccepts(env, t);
      const attacker = new ForeignKey('attacker-flood');
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) {
        const res = await keystroke(env, gatewayHeaders(forgedWithUnknownKid(t.claims, `flood-${Date.now()}-${i}`, attacker), t.claims), `forged keystroke ${i + 1}`);
        statuses.push(res.status);
      }
      expectThat(statuses.every((s) => s === 401), 'forged tokens with unknown kids must be refused', { expected: 'all 401', actual: statuses });
      const kid = await rotateSigningKey(env, control);
      const minted = await mint(control);
      const res = await keystroke(env, gatewayHeaders(minted.token, minted.claims), 'keystroke with a token of the new key, after the flood');
      expectThat(res.status === 200, `the first token of the new key ${kid} was refused after the flood of forged kids`, { expected: { status: 200 }, actual: { status: res.status, body: shownBody(res) }, res });
    },
  });


// --- The issuer's keys over time: outages, withdrawn keys (jwks-lifecycle) -------------------

/**
 * Makes the issuers' discovery and JWKS answer 503 for the rest of the check. The undo brings
 * them back and then waits (within the gateway's documented bound) until the gateway completes
 * a valid keystroke again, so the next check finds a gateway that verifies tokens, as this one did.
 */
async function takeIssuersDown(env: ConditionEnv, issuers: readonly ControlClient[], valid: Held): Promise<void> {
  // Registered first, so it runs last: after every issuer is back.
  env.restore('a gateway that verifies tokens again', async () => {
    const { accepted, last } = await keystrokeUntilAccepted(env, valid, refetchBoundMs(env), 'keystroke after the issuer is back (restore)');
    if (!accepted) throw new Error(`the gateway still refuses a valid keystroke (${last.status}) ${refetchBoundMs(env) / 1000} s after the issuer came back`);
  });
  for (const issuer of issuers) {
    env.restore(`the discovery and JWKS of ${issuer.role}`, () => issuer.oidc.set({ available: true }));
    await issuer.oidc.set({ available: false });
  }
}

/** The control API of every issuer the gateway trusts: all of them go down when no key may be loadable. */
async function everyTrustedIssuer(env: ConditionEnv): Promise<ControlClient[]> {
  const roles = env.target('ai-gateway').trustedIssuers ?? ['gitlab-saas'];
  return Promise.all(roles.map((role) => env.need(controlOf(role))));
}

/** Forgets every key the gateway holds (cold cache); the next keystroke must load them again. */
const coldGateway = (gateway: ControlClient) => gateway.clearJwksCache();

const ready = (env: NeedEnv) => env.http('ide', 'ai-gateway').request({ method: 'GET', path: PATH.GATEWAY_READY, label: 'GET /monitoring/ready' });

export const AnswersRefusalsWhileNoKeyIsLoaded = (issuer: GitlabRole) =>
  condition({
    name: 'EnsureNoKeysMeans401Not5xx',
    title: 'Issuer down and no key cached: keystrokes get 401 "Forbidden by auth provider", never a 5xx',
    needs: { token: aiTokenOf(issuer), issuerControl: controlOf(issuer), gateway: controlOf('ai-gateway') },
    async evaluate({ token, gateway }, env) {
      const t = { token: token.token, claims: token.decoded.claims };
      await gatewayAccepts(env, t);
      await takeIssuersDown(env, await everyTrustedIssuer(env), t);
      await coldGateway(gateway);
      for (let i = 0; i < 3; i++) expectRefusal(await keystroke(env, gatewayHeaders(t.token, t.claims), `keystroke ${i + 1}, issuer down, cold cache`), [FORBIDDEN], 'a keystroke while no key can be loaded');
    },
  });

export const RecoversWhenTheIssuerComesBack = (issuer: GitlabRole) =>
  condition({
    name: 'EnsureGatewayRecoversWithoutRestart',
    title: "Issuer down at the first keystroke, then back: keystrokes are completed again without a restart, within the gateway's documented cooldown (+5 s)",
    needs: { token: aiTokenOf(issuer), issuerControl: controlOf(issuer), gateway: controlOf('ai-gateway') },
    async evaluate({ token, gateway }, env) {
      const t = { token: token.token, claims: token.decoded.claims };
      await gatewayAccepts(env, t);
      await takeIssuersDown(env, await everyTrustedIssuer(env), t);
      await coldGateway(gateway);
      const down = await keystroke(env, gatewayHeaders(t.token, t.claims), 'first keystroke, issuer down');
      expectThat(down.status < 500, `the gateway answered ${down.status} while the issuer was down`, { expected: { status: '401, never 5xx' }, actual: { status: down.status, body: shownBody(down) }, res: down });
      for (const control of await everyTrustedIssuer(env)) await control.oidc.set({ available: true });
      await expectAcceptedWithinBound(env, t, 'keystroke, issuer back', 'keystrokes were not completed after the issuer came back');
    },
  });

export const ReportsWhetherTokensCanBeVerified = (issuer: GitlabRole) =>
  condition({
    name: 'EnsureReadinessTracksKeys',
    title: 'GET /monitoring/ready answers 503 while no key can be loaded and 200 again once the issuer is back and keys are loaded',
    needs: { token: aiTokenOf(issuer), issuerControl: controlOf(issuer), gateway: controlOf('ai-gateway') },
    async evaluate({ token, issuerControl, gateway }, env) {
      const t = { token: token.token, claims: token.decoded.claims };
      await gatewayAccepts(env, t);
      const before = await ready(env);
      expectThat(before.status === 200, `readiness said ${before.status} while tokens were being verified`, { expected: { status: 200 }, actual: { status: before.status, body: shownBody(before) }, res: before });
      await takeIssuersDown(env, await everyTrustedIssuer(env), t);
      await coldGateway(gateway);
      const down = await ready(env);
      expectThat(down.status === 503, `readiness said ${down.status} while no key could be loaded`, { expected: { status: 503 }, actual: { status: down.status, body: shownBody(down) }, res: down });
      for (const control of await everyTrustedIssuer(env)) await control.oidc.set({ available: true });
      const { accepted } = await keystrokeUntilAccepted(env, t, refetchBoundMs(env), 'keystroke, issuer back');
      const back = await ready(env);
      expectThat(accepted && back.status === 200, `readiness said ${back.status} after the issuer came back`, { expected: { status: 200 }, actual: { status: back.status, body: shownBody(back), keystrokeCompleted: accepted }, res: back });
    },
  });

export const KeepsServingCachedKeysWhileTheIssuerIsDown = (issuer: GitlabRole) =>
  condition({
    name: 'EnsureCachedKeysOutliveIssuerOutage',
    title: 'With keys cached, an issuer outage does not stop keystrokes: they are verified from the cache',
    needs: { token: aiTokenOf(issuer), issuerControl: controlOf(issuer) },
    async evaluate({ token }, env) {
      const t = { token: token.token, claims: token.decoded.claims };
      await gatewayAccepts(env, t, 'keystroke that warms the key cache (control request)');
      await takeIssuersDown(env, await everyTrustedIssuer(env), t);
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await keystroke(env, gatewayHeaders(t.token, t.claims), `keystroke ${i + 1}, issuer down`)).status);
      expectThat(statuses.every((s) => s === 200), 'keystrokes failed while the issuer was down although keys were cached', { expected: [200, 200, 200], actual: statuses });
    },
  });

export const StopsAcceptingAWithdrawnKey = (issuer: GitlabRole) =>
  condition({
    name: 'EnsureWithdrawnKeyRefusedAfterRefresh',
    title: 'A key the issuer withdrew is refused once the gateway reloads its keys; the remaining key still verifies',
    needs: { token: aiTokenOf(issuer), issuerControl: controlOf(issuer), gateway: controlOf('ai-gateway') },
    async evaluate({ token, issuerControl, gateway }, env) {
      const t = { token: token.token, claims: token.decoded.claims };
      await gatewayAccepts(env, t);
      const { kid, previous } = await rotateSigningKeyFrom(env, issuerControl);
      const minted = await mint(issuerControl);
      const withdrawn = { token: minted.token, claims: minted.claims };
      await gatewayAccepts(env, withdrawn, `keystroke with a token of the new key ${kid} (control request)`);
      await withdrawKey(issuerControl, kid, previous);
      await coldGateway(gateway);
      expectRefusal(await keystroke(env, gatewayHeaders(withdrawn.token, withdrawn.claims), `keystroke with a token of the withdrawn key ${kid}`), [FORBIDDEN], 'a token of a withdrawn key');
      const still = await keystroke(env, gatewayHeaders(t.token, t.claims), 'keystroke with a token of the remaining key');
      expectThat(still.status === 200, 'a token of the key still published was refused', { expected: { status: 200 }, actual: { status: still.status, body: shownBody(still) }, res: still });
    },
  });

/**
 * MUST (checklist gateway-auth 16: "any verified-token cache forgets tokens of that key"): a
 * token the gateway has accepted, twice, is refused as soon as the gateway has re-read a JWKS
 * that no longer has its key. The re-read is the gateway's own, on a third key's unknown kid
 * (no control API of the gateway is used), so a cache of verified tokens cannot hide behind a
 * cold start. Not applicable when the gateway does not pick up new keys (its own MUST says so).
 */
export const RefusesAWithdrawnKeyOnceTheJwksIsReread = (issuer: GitlabRole) =>
  condition({
    name: 'EnsureVerifiedTokensOfAWithdrawnKeyRefusedOnReread',
    title: 'A token already accepted is refused as soon as the gateway has re-read a JWKS without its key, whatever it cached of the token',
    needs: { token: aiTokenOf(issuer), control: controlOf(issuer) },
    async evaluate({ token, control }, env) {
      const original = { token: token.token, claims: token.decoded.claims };
      const { kid, previous, token: withdrawn } = await tokenOfANewKey(env, control, original);
      await pickUpOrNotApplicable(env, withdrawn, kid);
      await gatewayAccepts(env, withdrawn, `keystroke with the token of ${kid} again (any verified-token cache now holds it; control request)`);

      await withdrawKey(control, kid, previous);
      const third = await tokenOfANewKey(env, control, original);
      await pickUpOrNotApplicable(env, third.token, third.kid);

      expectRefusal(await keystroke(env, gatewayHeaders(withdrawn.token, withdrawn.claims), `keystroke with the token of the withdrawn key ${kid}, accepted twice before`), [FORBIDDEN], 'a token of a key the issuer withdrew, after the gateway re-read the JWKS');
      const still = await keystroke(env, gatewayHeaders(original.token, original.claims), 'keystroke with a token of the key still published (control request)');
      expectThat(still.status === 200, 'a token of the key still published was refused', { expected: { status: 200 }, actual: { status: still.status, body: shownBody(still) }, res: still });
    },
  });

/** Keystrokes with a token of a newly published key until the gateway accepts it (its re-read of the JWKS); not applicable if it never does. */
async function pickUpOrNotApplicable(env: ConditionEnv, token: Held, kid: string): Promise<void> {
  const { accepted } = await keystrokeUntilAccepted(env, token, refetchBoundMs(env), `keystroke with a token of the new key ${kid} (control request)`);
  if (!accepted) env.notApplicable(`the gateway did not accept a token of the newly published key ${kid} within its cooldown, so it cannot be made to re-read the JWKS (see accepts-a-new-key-within-the-cooldown)`);
}

/** jwks-lifecycle's diagram once: the first keystroke with the issuer down and no key, then keystrokes until the gateway is back. */
export const OutageReplay = {
  flow: 'the first keystroke while every trusted issuer is down and the gateway holds no key, then keystrokes until it completes again',
  async prepare(env: ConditionEnv) {
    const token = await env.need(aiTokenOf('gitlab-saas'));
    const gateway = await env.need(controlOf('ai-gateway'));
    const t = { token: token.token, claims: token.decoded.claims };
    await gatewayAccepts(env, t);
    const issuers = await everyTrustedIssuer(env);
    await takeIssuersDown(env, issuers, t);
    await coldGateway(gateway);
    return { t, issuers };
  },
  async run(env: ConditionEnv, prepared: unknown) {
    const { t, issuers } = prepared as { t: Held; issuers: ControlClient[] };
    await keystroke(env, gatewayHeaders(t.token, t.claims), 'first keystroke, issuer down');
    for (const control of issuers) await control.oidc.set({ available: true });
    await expectAcceptedWithinBound(env, t, 'keystroke, issuer back', 'keystrokes were not completed after the issuer came back');
  },
};
