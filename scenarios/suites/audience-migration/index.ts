/**
 * Seed 002: the AI access token moves from audience gitlab-code-suggestions (no scopes) to
 * gitlab-ai-gateway (with scopes), and the gateway keeps a compatibility window for legacy
 * tokens. Replayed as the rollout happened, phase by phase, for SaaS tokens and for tokens a
 * self-managed instance relays (unchanged, whatever SaaS mints). The issuer and the gateway are
 * switched through their control APIs and put back as they were at the end.
 */
import {
  AUDIENCE,
  GATEWAY_AUTH_ERROR,
  GATEWAY_CODE_COMPLETIONS_FORBIDDEN,
  GITLAB_REALM,
  HEADER,
  PATH,
  SCHEMA,
  UNIT_PRIMITIVE,
  type Role,
} from '../../../contracts/src/index.js';
import { mintToken, requireControl } from '../../checks/control.js';
import { expectError, expectSchema, expectStatus, expectThat, shownBody } from '../../checks/expect.js';
import { decodeJwt, type DecodedJwt } from '../../checks/jwt.js';
import { sendKeystroke } from '../../clients/code-suggestions.js';
import type { CheckScope, ControlClient, ScenarioContext, ScenarioDefinition } from '../../runner/types.js';

interface Token {
  token: string;
  decoded: DecodedJwt;
}

/** One token per issuing path: SaaS directly, and self-managed relaying to SaaS. */
interface Pair {
  saas: Token;
  sm: Token;
}

interface IssuerSettings {
  audience: string;
  includeKid: boolean;
}

interface GatewaySettings {
  audience: string;
  legacyAudienceWindow: 'open' | 'closed';
}

const LEGACY = AUDIENCE.LEGACY_CODE_SUGGESTIONS;
const CURRENT = AUDIENCE.AI_GATEWAY;

export const audienceMigration: ScenarioDefinition = {
  id: 'audience-migration',
  title: 'Audience migration gitlab-code-suggestions -> gitlab-ai-gateway with a compatibility window',
  seeds: ['002'],
  diagram: 'audience-migration.mmd',
  roles: ['gitlab-saas', 'gitlab-sm', 'ai-gateway', 'fake-model'],
  async run(ctx) {
    const issuer = ctx.target('gitlab-saas').control;
    const gateway = ctx.target('ai-gateway').control;
    // Put both back exactly as they were, whatever the phases did or failed to do.
    const before = {
      issuer: issuer ? await issuer.call<IssuerSettings>('GET', '/-/harness/ai-token') : undefined,
      gateway: gateway ? await gateway.call<GatewaySettings>('GET', '/-/harness/auth') : undefined,
    };
    try {
      await phases(ctx);
    } finally {
      if (issuer && before.issuer) await issuer.call('PUT', '/-/harness/ai-token', { audience: before.issuer.audience });
      if (gateway && before.gateway) {
        await gateway.call('PUT', '/-/harness/auth', { audience: before.gateway.audience, legacyAudienceWindow: before.gateway.legacyAudienceWindow });
      }
    }
  },
};

async function phases(ctx: ScenarioContext): Promise<void> {
  const ide = ctx.http('ide', 'ai-gateway');
  const controls = (scope: CheckScope): { issuer: ControlClient; gateway: ControlClient } => ({
    issuer: requireControl(ctx, scope, 'gitlab-saas', 'switch the token issuer between the legacy and the new audience'),
    gateway: requireControl(ctx, scope, 'ai-gateway', 'switch the gateway\'s audience and compatibility window'),
  });
  /**
   * Each phase sets the whole configuration it replays, so a check depends only on the tokens
   * it uses, never on an earlier check having left the systems in the right state.
   */
  const PHASES: Record<1 | 2 | 3 | 4, { issuer: string; gateway: GatewaySettings }> = {
    1: { issuer: LEGACY, gateway: { audience: LEGACY, legacyAudienceWindow: 'closed' } },
    2: { issuer: LEGACY, gateway: { audience: CURRENT, legacyAudienceWindow: 'open' } },
    3: { issuer: CURRENT, gateway: { audience: CURRENT, legacyAudienceWindow: 'open' } },
    4: { issuer: CURRENT, gateway: { audience: CURRENT, legacyAudienceWindow: 'closed' } },
  };
  async function enter(phase: 1 | 2 | 3 | 4, scope: CheckScope): Promise<void> {
    const { issuer, gateway } = controls(scope);
    await issuer.call('PUT', '/-/harness/ai-token', { audience: PHASES[phase].issuer });
    await gateway.call('PUT', '/-/harness/auth', PHASES[phase].gateway);
  }

  async function obtain(role: Role, scope: CheckScope): Promise<Token> {
    const pats = ctx.credentials(role).personalAccessTokens;
    const pat = pats.ai_features ?? pats.api ?? scope.skip(`the target profile gives no ${role} personal access token (ai_features or api)`);
    const res = await ctx.http('ide', role).request({
      method: 'POST',
      path: PATH.GITLAB_CODE_SUGGESTIONS_TOKENS,
      headers: { [HEADER.AUTHORIZATION]: `Bearer ${pat}` },
      label: `POST code_suggestions/tokens at ${role}`,
    });
    expectStatus(res, [200, 201]);
    expectSchema(res.json, SCHEMA.CODE_SUGGESTIONS_TOKEN_RESPONSE, `the token response of ${role}`, res);
    const token = (res.json as { access_token: string }).access_token;
    return { token, decoded: decodeJwt(token) };
  }
  const both = async (scope: CheckScope): Promise<Pair> => ({ saas: await obtain('gitlab-saas', scope), sm: await obtain('gitlab-sm', scope) });

  /** Sends one keystroke per token and returns the statuses by name. */
  async function keystrokes(tokens: Record<string, Token>, phase: string) {
    const answers: Record<string, { status: number; body: unknown }> = {};
    for (const [name, t] of Object.entries(tokens)) {
      const res = await sendKeystroke(ide, t.token, t.decoded.claims, `${phase}: keystroke with the ${name} token`);
      answers[name] = { status: res.status, body: shownBody(res) };
    }
    return answers;
  }
  const expectAll = (answers: Record<string, { status: number; body: unknown }>, status: number, message: string) =>
    expectThat(Object.values(answers).every((a) => a.status === status), message, {
      expected: Object.fromEntries(Object.keys(answers).map((k) => [k, { status }])),
      actual: answers,
    });

  /** The contract of a token of the given audience: legacy has no scopes, the new one has code_suggestions. */
  function expectMinted(t: Token, audience: string, realm: string, who: string) {
    const { claims } = t.decoded;
    expectSchema(claims, SCHEMA.AI_ACCESS_TOKEN_CLAIMS, `the ${who} token's claims`);
    const legacy = audience === LEGACY;
    const scopesOk = legacy ? claims.scopes === undefined : Array.isArray(claims.scopes) && claims.scopes.includes(UNIT_PRIMITIVE.CODE_SUGGESTIONS);
    expectThat(claims.aud === audience && claims.gitlab_realm === realm && scopesOk, `the ${who} token is not what the ${legacy ? 'legacy' : 'new'} issuer mints`, {
      expected: { aud: audience, gitlab_realm: realm, scopes: legacy ? '(absent)' : [UNIT_PRIMITIVE.CODE_SUGGESTIONS] },
      actual: { aud: claims.aud, gitlab_realm: claims.gitlab_realm ?? null, scopes: claims.scopes ?? '(absent)' },
    });
  }

  // Phase 1: the legacy issuer and the gateway before the migration.
  const legacy = await ctx.check(
    {
      id: 'phase-1-legacy-issuer-mints-legacy-tokens',
      title: 'Phase 1: the legacy issuer mints aud gitlab-code-suggestions without scopes; self-managed relays it unchanged',
      severity: 'MUST',
      clauses: ['seed-002.legacy-issuer', 'seed-002.self-managed'],
    },
    async (scope) => {
      await enter(1, scope);
      const pair = await both(scope);
      expectMinted(pair.saas, LEGACY, GITLAB_REALM.SAAS, 'SaaS');
      expectMinted(pair.sm, LEGACY, GITLAB_REALM.SELF_MANAGED, 'relayed self-managed');
      return pair;
    },
  );

  await ctx.check(
    {
      id: 'phase-1-legacy-gateway-accepts-legacy-tokens',
      title: 'Phase 1: a gateway for aud gitlab-code-suggestions accepts the legacy SaaS and self-managed tokens',
      severity: 'MUST',
      clauses: ['seed-002.legacy-issuer'],
      dependsOn: ['phase-1-legacy-issuer-mints-legacy-tokens'],
    },
    async (scope) => {
      await enter(1, scope);
      expectAll(await keystrokes({ 'legacy SaaS': legacy!.saas, 'legacy self-managed': legacy!.sm }, 'phase 1'), 200, 'the pre-migration gateway refused a legacy token');
    },
  );

  // Phase 2: the new gateway, window open; the issuer is still the legacy one.
  await ctx.check(
    {
      id: 'phase-2-new-gateway-accepts-legacy-tokens-in-the-window',
      title: 'Phase 2: the new gateway (aud gitlab-ai-gateway) with the window open accepts legacy tokens as carrying code_suggestions',
      severity: 'MUST',
      clauses: ['seed-002.compatibility'],
      dependsOn: ['phase-1-legacy-issuer-mints-legacy-tokens'],
    },
    async (scope) => {
      await enter(2, scope);
      expectAll(await keystrokes({ 'legacy SaaS': legacy!.saas, 'legacy self-managed': legacy!.sm }, 'phase 2'), 200, 'the compatibility window refused a legacy token');
    },
  );

  await ctx.check(
    {
      id: 'phase-2-new-gateway-accepts-new-tokens',
      title: 'Phase 2: the new gateway also accepts a token of the new audience with scopes (both kinds pass)',
      severity: 'MUST',
      clauses: ['seed-002.compatibility', 'seed-002.new-issuer'],
    },
    async (scope) => {
      await enter(2, scope);
      const minted = await mintToken(ctx, scope, 'gitlab-saas', { claims: { aud: CURRENT, scopes: [UNIT_PRIMITIVE.CODE_SUGGESTIONS] } });
      expectAll(await keystrokes({ 'new SaaS': { token: minted.token, decoded: decodeJwt(minted.token) } }, 'phase 2'), 200, 'the new gateway refused a new-audience token');
    },
  );

  // Phase 3: the new issuer.
  const current = await ctx.check(
    {
      id: 'phase-3-new-issuer-mints-scoped-tokens',
      title: 'Phase 3: the new issuer mints aud gitlab-ai-gateway with scopes [code_suggestions]; self-managed relays it unchanged',
      severity: 'MUST',
      clauses: ['seed-002.new-issuer', 'seed-002.self-managed'],
    },
    async (scope) => {
      await enter(3, scope);
      const pair = await both(scope);
      expectMinted(pair.saas, CURRENT, GITLAB_REALM.SAAS, 'SaaS');
      expectMinted(pair.sm, CURRENT, GITLAB_REALM.SELF_MANAGED, 'relayed self-managed');
      return pair;
    },
  );

  await ctx.check(
    {
      id: 'phase-3-gateway-accepts-new-and-legacy-tokens',
      title: 'Phase 3: while the window is open the gateway accepts the new tokens and the legacy ones still in use',
      severity: 'MUST',
      clauses: ['seed-002.compatibility', 'seed-002.new-issuer'],
      dependsOn: ['phase-1-legacy-issuer-mints-legacy-tokens', 'phase-3-new-issuer-mints-scoped-tokens'],
    },
    async (scope) => {
      await enter(3, scope);
      expectAll(
        await keystrokes({ 'new SaaS': current!.saas, 'new self-managed': current!.sm, 'legacy SaaS': legacy!.saas, 'legacy self-managed': legacy!.sm }, 'phase 3'),
        200,
        'a token was refused while both audiences should pass',
      );
    },
  );

  // Phase 4: the window closes.
  await ctx.check(
    {
      id: 'phase-4-closed-window-refuses-legacy-tokens',
      title: 'Phase 4: with the window closed a legacy token, SaaS or self-managed, gets 401 "Forbidden by auth provider"',
      severity: 'MUST',
      clauses: ['seed-002.window-closed', 'rfc-7519.4.1.3'],
      dependsOn: ['phase-1-legacy-issuer-mints-legacy-tokens'],
    },
    async (scope) => {
      await enter(4, scope);
      for (const [name, t] of Object.entries({ 'legacy SaaS': legacy!.saas, 'legacy self-managed': legacy!.sm })) {
        const res = await sendKeystroke(ide, t.token, t.decoded.claims, `phase 4: keystroke with the ${name} token`);
        expectError(res, 401, { error: GATEWAY_AUTH_ERROR.FORBIDDEN });
      }
    },
  );

  await ctx.check(
    {
      id: 'phase-4-closed-window-accepts-new-tokens',
      title: 'Phase 4: with the window closed the new SaaS and self-managed tokens still pass',
      severity: 'MUST',
      clauses: ['seed-002.window-closed', 'seed-002.new-issuer'],
      dependsOn: ['phase-3-new-issuer-mints-scoped-tokens'],
    },
    async (scope) => {
      await enter(4, scope);
      expectAll(await keystrokes({ 'new SaaS': current!.saas, 'new self-managed': current!.sm }, 'phase 4'), 200, 'a new-audience token was refused');
    },
  );

  await ctx.check(
    {
      id: 'phase-4-refuses-new-tokens-without-the-scope',
      title: 'Phase 4: a new-audience token whose scopes lack code_suggestions gets 403 "Unauthorized to access code completions"',
      severity: 'MUST',
      clauses: ['seed-002.new-issuer', 'aigw.auth.scope'],
    },
    async (scope) => {
      await enter(4, scope);
      const minted = await mintToken(ctx, scope, 'gitlab-saas', { claims: { aud: CURRENT, scopes: [] } });
      const res = await sendKeystroke(ide, minted.token, minted.claims, 'phase 4: keystroke with a new token without code_suggestions');
      expectError(res, 403, { detail: GATEWAY_CODE_COMPLETIONS_FORBIDDEN });
    },
  );
}
