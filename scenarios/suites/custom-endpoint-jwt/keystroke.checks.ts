/**
 * Steps 4-11: on every keystroke the IDE calls the gateway with the JWT; the gateway checks
 * its key cache, fetches the JWKS only when the cache is cold, expired or misses the kid,
 * verifies the token and returns the model's completion.
 */
import { PATH, SCHEMA } from '../../../contracts/src/index.js';
import { countRequestsDuring, mintToken, requireControl } from '../../checks/control.js';
import { expectSchema, expectStatus, expectThat, shownBody } from '../../checks/expect.js';
import { decodeJwt } from '../../checks/jwt.js';
import { sendKeystroke as keystroke } from '../../clients/code-suggestions.js';
import type { ScenarioContext } from '../../runner/types.js';
import { usableToken, type CustomEndpointState } from './state.js';

const KEYSTROKES = 5;

export async function keystrokeChecks(ctx: ScenarioContext, state: CustomEndpointState): Promise<void> {
  const gateway = ctx.http('ide', 'ai-gateway');
  const tokenChecks = ['issues-jwt-for-browser-session', 'issues-jwt-for-ai-features-pat'];

  await ctx.check(
    {
      id: 'reports-gateway-readiness',
      title: 'GET /monitoring/ready answers 200 once the gateway can verify tokens',
      severity: 'SHOULD',
      clauses: ['aigw.jwks.cache'],
    },
    async () => expectStatus(await gateway.request({ method: 'GET', path: PATH.GATEWAY_READY, label: 'GET /monitoring/ready' }), 200),
  );

  await ctx.check(
    {
      id: 'completes-code-for-a-valid-jwt',
      title: 'POST /v2/code/completions with the JWT (Bearer, X-Gitlab-Authentication-Type: oidc, identity headers) returns a completion',
      severity: 'MUST',
      clauses: ['seed-000.o2.step-4', 'seed-000.o2.step-8', 'aigw.completions.response'],
    },
    async (scope) => {
      const t = usableToken(state);
      if (!t) return scope.skip(`no JWT was obtained (checks ${tokenChecks.join(', ')} did not pass)`);
      const res = await keystroke(gateway, t.token, t.decoded.claims, 'keystroke: POST /v2/code/completions');
      expectStatus(res, 200);
      expectSchema(res.json, SCHEMA.COMPLETIONS_RESPONSE, 'the completions response', res);
    },
  );

  await ctx.check(
    {
      id: 'serves-completions-alias',
      title: 'The alias POST /v2/completions answers like /v2/code/completions',
      severity: 'SHOULD',
      clauses: ['aigw.completions.response'],
      dependsOn: ['completes-code-for-a-valid-jwt'],
    },
    async () => {
      const t = usableToken(state)!;
      const res = await keystroke(gateway, t.token, t.decoded.claims, 'keystroke: POST /v2/completions', PATH.GATEWAY_COMPLETIONS_ALIAS);
      expectStatus(res, 200);
      expectSchema(res.json, SCHEMA.COMPLETIONS_RESPONSE, 'the completions response', res);
    },
  );

  await ctx.check(
    {
      id: 'serves-keystrokes-from-the-key-cache',
      title: `${KEYSTROKES} keystrokes in a row are verified from the cached keys: no discovery or JWKS fetch while the cache is fresh`,
      severity: 'MUST',
      clauses: ['seed-000.o2.step-5', 'aigw.jwks.cache'],
      dependsOn: ['completes-code-for-a-valid-jwt', 'serves-jwks-in-gitlab-shape'],
    },
    async (scope) => {
      const control = requireControl(ctx, scope, 'gitlab-saas', 'observe the gateway\'s requests to the issuer');
      const t = usableToken(state)!;
      const statuses: number[] = [];
      const fetches = await countRequestsDuring(control, state.keyPaths!, async () => {
        for (let i = 0; i < KEYSTROKES; i++) statuses.push((await keystroke(gateway, t.token, t.decoded.claims, `keystroke ${i + 1}`)).status);
      });
      expectThat(statuses.every((s) => s === 200), 'every keystroke must be answered 200', { expected: Array(KEYSTROKES).fill(200), actual: statuses });
      expectThat(fetches === 0, 'the gateway fetched keys again although its cache was fresh', {
        expected: { keyFetches: 0 },
        actual: { keyFetches: fetches, paths: state.keyPaths },
      });
    },
  );

  await ctx.check(
    {
      id: 'fetches-keys-when-the-kid-is-unknown',
      title: 'After the issuer publishes a new signing key, the first token signed with it is accepted: the gateway re-fetches the JWKS on the unknown kid',
      severity: 'MUST',
      clauses: ['seed-000.o2.step-6', 'checklist.gateway-auth.6', 'checklist.gateway-auth.17'],
      dependsOn: ['completes-code-for-a-valid-jwt', 'serves-jwks-in-gitlab-shape'],
    },
    async (scope) => {
      const control = requireControl(ctx, scope, 'gitlab-saas', 'publish a new signing key');
      const { kid } = await control.call<{ kid: string }>('POST', '/-/harness/keys', { activate: true });
      const minted = await mintToken(ctx, scope, 'gitlab-saas');
      const header = decodeJwt(minted.token, 'the token signed with the new key').header;
      if (header.kid !== kid) scope.skip('the issuer does not put kid in its tokens, so the gateway cannot tell a key is new');
      let status = 0;
      let body: unknown;
      const fetches = await countRequestsDuring(
        control,
        state.keyPaths!,
        async () => {
          const res = await keystroke(gateway, minted.token, minted.claims, 'keystroke with a token of the new key');
          status = res.status;
          body = shownBody(res);
        },
        { atLeast: 1, waitMs: 1000 },
      );
      expectThat(status === 200, `a token signed with the newly published key ${kid} must be accepted at once`, {
        expected: { status: 200 },
        actual: { status, body },
      });
      expectThat(fetches >= 1, 'the gateway accepted a kid it had never fetched', { expected: { keyFetches: '>= 1' }, actual: { keyFetches: fetches } });
    },
  );

  await ctx.check(
    {
      id: 'limits-refetches-for-unknown-kids',
      title: `${KEYSTROKES} tokens naming a kid the issuer never published are refused, with at most one JWKS re-fetch between them`,
      severity: 'MUST',
      clauses: ['checklist.gateway-auth.6', 'rfc-7517.5'],
      dependsOn: ['completes-code-for-a-valid-jwt', 'serves-jwks-in-gitlab-shape'],
    },
    async (scope) => {
      const control = requireControl(ctx, scope, 'gitlab-saas', 'observe the gateway\'s requests to the issuer');
      const minted = await mintToken(ctx, scope, 'gitlab-saas', { header: { kid: `never-published-${Date.now()}` } });
      const statuses: number[] = [];
      const fetches = await countRequestsDuring(control, [new URL(state.discovery!.jwks_uri).pathname], async () => {
        for (let i = 0; i < KEYSTROKES; i++) {
          statuses.push((await keystroke(gateway, minted.token, minted.claims, `keystroke with unknown kid ${i + 1}`)).status);
        }
      });
      expectThat(statuses.every((s) => s === 401), 'a token with an unpublished kid must be refused', {
        expected: Array(KEYSTROKES).fill(401),
        actual: statuses,
      });
      expectThat(fetches <= 1, 'unknown kids made the gateway hammer the issuer\'s JWKS', {
        expected: { jwksFetches: '<= 1' },
        actual: { jwksFetches: fetches },
      });
    },
  );
}
