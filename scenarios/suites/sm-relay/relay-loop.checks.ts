/**
 * Steps 8-13 of seed 001 and its loop: the IDE asks the self-managed instance for a JWT with
 * the PAT, the instance relays to SaaS with the stored token, SaaS's JWT comes back and opens
 * the gateway; the IDE goes back for a new JWT only when its own is missing or invalid.
 */
import { GITLAB_REALM, PATH, SCHEMA, USER_AGENT } from '../../../contracts/src/index.js';
import { receivedRequests, requireControl } from '../../checks/control.js';
import { expectSchema, expectStatus, expectThat, shownBody } from '../../checks/expect.js';
import { decodeJwt, verifyRs256WithJwks } from '../../checks/jwt.js';
import { IdeClient, TokenRequestRefused, type HeldToken } from '../../clients/ide-client.js';
import type { ScenarioContext } from '../../runner/types.js';
import { idePat } from './credentials.js';
import type { SmRelayState } from './state.js';

const KEYSTROKES = 3;

/** A refused token request fails the check with the response it got. */
async function obtain(ide: IdeClient): Promise<HeldToken> {
  try {
    return await ide.ensureToken();
  } catch (e) {
    if (!(e instanceof TokenRequestRefused)) throw e;
    expectStatus(e.response, [200, 201]);
    throw e;
  }
}

export async function relayLoopChecks(ctx: ScenarioContext, state: SmRelayState): Promise<void> {
  const relayed = await ctx.check(
    {
      id: 'relays-the-token-request-to-saas',
      title: 'The IDE\'s PAT at the self-managed instance gets a JWT, which the instance fetched from SaaS with the SAT',
      severity: 'MUST',
      clauses: ['seed-001.step-8', 'seed-001.step-9', 'seed-001.step-10', 'seed-001.sm.authenticate', 'seed-001.sm.proxy', 'seed-001.saas.jwt'],
    },
    async (scope) => {
      state.ide = new IdeClient({
        gitlab: ctx.http('ide', 'gitlab-sm'),
        gateway: ctx.http('ide', 'ai-gateway'),
        personalAccessToken: idePat(ctx, scope),
        now: () => state.clock.now,
      });
      const held = await obtain(state.ide);
      expectSchema(held.response.json, SCHEMA.CODE_SUGGESTIONS_TOKEN_RESPONSE, 'the relayed token response', held.response);
      return held;
    },
  );

  await ctx.check(
    {
      id: 'relays-as-workhorse-with-the-service-token',
      title: 'SaaS sees the relayed request: POST /api/v4/code_suggestions/tokens with a gitlab-workhorse User-Agent',
      severity: 'MUST',
      clauses: ['seed-001.step-9', 'seed-001.sm.proxy'],
      dependsOn: ['relays-the-token-request-to-saas'],
    },
    async (scope) => {
      const saas = requireControl(ctx, scope, 'gitlab-saas', 'read the requests SaaS received from the self-managed instance');
      // Only what this check's own token request caused counts: SaaS's log holds earlier traffic too.
      const relayedSoFar = async () =>
        (await receivedRequests(saas, [PATH.GITLAB_CODE_SUGGESTIONS_TOKENS])).filter((r) => r.method === 'POST' && (r.userAgent ?? '').startsWith(USER_AGENT.RELAY_PREFIX));
      const before = (await relayedSoFar()).length;
      const ide = new IdeClient({ gitlab: ctx.http('ide', 'gitlab-sm'), gateway: ctx.http('ide', 'ai-gateway'), personalAccessToken: idePat(ctx, scope) });
      await obtain(ide);
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
  );

  await ctx.check(
    {
      id: 'returns-a-jwt-signed-by-saas',
      title: 'The relayed JWT is signed by SaaS: it verifies (independently, node:crypto) against SaaS\'s JWKS',
      severity: 'MUST',
      clauses: ['seed-001.step-10', 'seed-001.saas.jwt', 'rfc-7515.5.2'],
      dependsOn: ['relays-the-token-request-to-saas', 'publishes-the-saas-signing-keys'],
    },
    async () => {
      const kid = verifyRs256WithJwks(relayed!.token, state.saasJwks!);
      expectThat(kid !== undefined, 'no key of SaaS\'s JWKS verifies the relayed token', {
        expected: `a signature by one of ${state.saasJwks!.keys.map((k) => k.kid).join(', ')}`,
        actual: { kid: decodeJwt(relayed!.token).header.kid ?? '(no kid)' },
        res: relayed!.response,
      });
    },
  );

  await ctx.check(
    {
      id: 'marks-the-relayed-jwt-self-managed',
      title: 'The relayed JWT names SaaS as issuer and realm self-managed, and its claims match the contract',
      severity: 'MUST',
      clauses: ['seed-001.saas.jwt', 'gitlab.tokens.claims'],
      dependsOn: ['relays-the-token-request-to-saas'],
    },
    async () => {
      const { claims, response } = relayed!;
      expectSchema(claims, SCHEMA.AI_ACCESS_TOKEN_CLAIMS, 'the relayed JWT\'s claims', response);
      const issuer = ctx.target('gitlab-saas').issuer;
      expectThat(claims.iss === issuer && claims.gitlab_realm === GITLAB_REALM.SELF_MANAGED, 'the relayed JWT must come from SaaS for the self-managed realm', {
        expected: { iss: issuer, gitlab_realm: GITLAB_REALM.SELF_MANAGED },
        actual: { iss: claims.iss, gitlab_realm: claims.gitlab_realm ?? null },
        res: response,
      });
    },
  );

  await ctx.check(
    {
      id: 'completes-with-the-relayed-jwt',
      title: 'The IDE gets code suggestions from the gateway with the relayed JWT',
      severity: 'MUST',
      clauses: ['seed-001.step-12', 'aigw.completions.response'],
      dependsOn: ['relays-the-token-request-to-saas'],
    },
    async () => {
      const { response, retriedAfter401 } = await state.ide!.keystroke(undefined, 'IDE: keystroke');
      expectStatus(response, 200);
      expectSchema(response.json, SCHEMA.COMPLETIONS_RESPONSE, 'the completions response', response);
      expectThat(!retriedAfter401, 'the gateway refused the relayed JWT the first time (401)', { expected: 'accepted at once', actual: 'accepted after a new JWT' });
    },
  );

  await ctx.check(
    {
      id: 'reuses-the-jwt-while-it-is-valid',
      title: `${KEYSTROKES} more keystrokes use the JWT the IDE holds: all answered, no new token request`,
      severity: 'MUST',
      clauses: ['seed-001.loop', 'seed-001.step-12'],
      dependsOn: ['completes-with-the-relayed-jwt'],
    },
    async () => {
      const ide = state.ide!;
      const before = { requests: ide.tokenRequests, jti: ide.token!.claims.jti };
      const statuses: number[] = [];
      for (let i = 0; i < KEYSTROKES; i++) statuses.push((await ide.keystroke(undefined, `IDE: keystroke ${i + 2}`)).response.status);
      expectThat(statuses.every((s) => s === 200), 'the gateway did not accept the same JWT on every keystroke', {
        expected: Array(KEYSTROKES).fill(200),
        actual: statuses,
      });
      expectThat(ide.tokenRequests === before.requests && ide.token!.claims.jti === before.jti, 'the IDE asked for a new JWT although its own was valid', {
        expected: { tokenRequests: before.requests },
        actual: { tokenRequests: ide.tokenRequests },
      });
    },
  );

  await ctx.check(
    {
      id: 'issues-a-new-jwt-when-the-held-one-expires',
      title: 'An hour later the held JWT is expiring: the IDE asks again and the new JWT (another jti) is accepted',
      severity: 'MUST',
      clauses: ['seed-001.loop', 'seed-001.step-8', 'seed-001.step-10'],
      dependsOn: ['reuses-the-jwt-while-it-is-valid'],
    },
    async () => {
      const ide = state.ide!;
      const old = ide.token!;
      // Only the IDE's clock moves: GitLab and the gateway keep real time, so the new JWT is valid now.
      state.clock.now = old.expiresAt * 1000;
      const { response } = await ide.keystroke(undefined, 'IDE: keystroke after expiry');
      state.clock.now = Date.now();
      expectThat(ide.token!.claims.jti !== old.claims.jti, 'the IDE kept the expired JWT', { expected: 'a new jti', actual: { jti: ide.token!.claims.jti } });
      expectStatus(response, 200);
    },
  );

  await ctx.check(
    {
      id: 'recovers-from-a-gateway-401-with-a-new-jwt',
      title: 'When the gateway refuses the held JWT (its signing key was withdrawn), one new JWT from GitLab is accepted',
      severity: 'MUST',
      clauses: ['seed-001.loop', 'seed-001.step-8', 'seed-001.step-12'],
      dependsOn: ['issues-a-new-jwt-when-the-held-one-expires'],
    },
    async (scope) => {
      const saas = requireControl(ctx, scope, 'gitlab-saas', 'withdraw the signing key of the JWT the IDE holds');
      const gateway = requireControl(ctx, scope, 'ai-gateway', 'empty the gateway\'s key cache so it sees the withdrawn key at once');
      const ide = state.ide!;
      const oldKid = decodeJwt(ide.token!.token).header.kid;
      if (!oldKid) return scope.skip('SaaS issues tokens without kid, so no single key can be withdrawn from under the IDE');
      await saas.call('POST', '/-/harness/keys', { activate: true });
      await saas.call('DELETE', `/-/harness/keys/${encodeURIComponent(oldKid)}`);
      await gateway.call('POST', '/-/harness/jwks-cache/clear');
      const requestsBefore = ide.tokenRequests;
      const { response, retriedAfter401 } = await ide.keystroke(undefined, 'IDE: keystroke with a withdrawn key');
      expectThat(retriedAfter401, 'the gateway accepted a JWT whose signing key SaaS no longer publishes', {
        expected: { first: 401 },
        actual: { first: response.status, body: shownBody(response) },
        res: response,
      });
      expectStatus(response, 200);
      expectThat(ide.tokenRequests === requestsBefore + 1, 'the IDE did not get exactly one new JWT', { expected: requestsBefore + 1, actual: ide.tokenRequests });
    },
  );
}
