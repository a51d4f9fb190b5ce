/**
 * Conditions on seed 002: the AI access token moves from audience gitlab-code-suggestions (no
 * scopes, Gitlab::CodeSuggestions::AccessToken, shape seed-000) to gitlab-ai-gateway with
 * scopes (Gitlab::Ai::AccessToken, shape seed-002), and the gateway keeps a compatibility window
 * for legacy tokens. The rollout has four phases:
 *
 * | phase | issuer mints | gateway audience | legacy window |
 * |---|---|---|---|
 * | 1 | legacy | gitlab-code-suggestions | - |
 * | 2 | legacy | gitlab-ai-gateway | open |
 * | 3 | new | gitlab-ai-gateway | open |
 * | 4 | new | gitlab-ai-gateway | closed |
 *
 * The issuer is switched through its control API (each check puts it back). A gateway with a
 * control API is switched too; a gateway without one is fixed in some phase: the scenario finds
 * it by probing (which of a legacy and a new token it accepts) and checks that phase's rules,
 * the other phases' checks being not applicable to it.
 */
import { AUDIENCE, GATEWAY_AUTH_ERROR, GATEWAY_CODE_COMPLETIONS_FORBIDDEN, GITLAB_REALM, HEADER, SCHEMA, UNIT_PRIMITIVE, type AiTokenShape } from '#contracts';
import { changeResource, mint } from '../checks/control.js';
import { expectSchema, expectThat, shownBody } from '../checks/expect.js';
import { decodeJwt } from '../checks/jwt.js';
import { gatewayHeaders } from '../clients/code-suggestions.js';
import { condition, need, type ConditionEnv, type NeedEnv } from '../runner/condition.js';
import type { ControlClient } from '../runner/types.js';
import { expectRefusal, keystroke, trustHint, type Held } from './gateway.js';
import { controlOf, idePatOf, requestAiToken, type GitlabRole } from './needs.js';

export type Phase = 1 | 2 | 3 | 4;
type GatewayPhase = 1 | 'window-open' | 4;

const LEGACY = AUDIENCE.LEGACY_CODE_SUGGESTIONS;
const CURRENT = AUDIENCE.AI_GATEWAY;
const ISSUER_SHAPE: Record<Phase, AiTokenShape> = { 1: 'seed-000', 2: 'seed-000', 3: 'seed-002', 4: 'seed-002' };
const GATEWAY_SETTINGS: Record<Phase, { audience: string; legacyAudienceWindow: 'open' | 'closed' }> = {
  1: { audience: LEGACY, legacyAudienceWindow: 'closed' },
  2: { audience: CURRENT, legacyAudienceWindow: 'open' },
  3: { audience: CURRENT, legacyAudienceWindow: 'open' },
  4: { audience: CURRENT, legacyAudienceWindow: 'closed' },
};
const gatewayPhaseOf = (phase: Phase): GatewayPhase => (phase === 1 ? 1 : phase === 4 ? 4 : 'window-open');

/** One token per issuing path: SaaS directly, and self-managed relaying to SaaS (unchanged, whatever SaaS mints). */
export interface Pair {
  saas: Held;
  sm: Held;
}

const heldOf = (token: string): Held => ({ token, claims: decodeJwt(token).claims as Record<string, unknown> });

/** The tokens the IDEs get while the issuer mints `shape`; the issuer's settings are put back at once. */
async function tokensMintedAs(env: NeedEnv, issuer: ControlClient, shape: AiTokenShape): Promise<Pair> {
  const before = await issuer.aiToken.get();
  await issuer.aiToken.set({ shape });
  try {
    const obtain = async (role: GitlabRole) => {
      const pat = await env.need(idePatOf(role));
      return heldOf((await requestAiToken(env, role, { [HEADER.AUTHORIZATION]: `Bearer ${pat}` }, `POST code_suggestions/tokens at ${role} (issuer shape ${shape})`)).token);
    };
    return { saas: await obtain('gitlab-saas'), sm: await obtain('gitlab-sm') };
  } finally {
    await issuer.aiToken.set({ shape: before.shape, includeKid: before.includeKid });
  }
}

/** Tokens of the legacy issuer (phases 1-2), SaaS and relayed. */
export const legacyTokens = need<Pair>('tokens of the legacy issuer (shape seed-000)', async (env) => tokensMintedAs(env, await env.need(controlOf('gitlab-saas')), 'seed-000'));
/** Tokens of the new issuer (phases 3-4), SaaS and relayed. */
export const newTokens = need<Pair>('tokens of the new issuer (shape seed-002)', async (env) => tokensMintedAs(env, await env.need(controlOf('gitlab-saas')), 'seed-002'));

interface Probe {
  phase: GatewayPhase | undefined;
  legacy: number;
  current: number;
}

/**
 * The phase a gateway without a control API is in, found by which of a legacy and a new SaaS
 * token it completes. Undefined when it completes neither (it trusts neither, or refuses all).
 */
export const probedGatewayPhase = need<Probe>('the migration phase of the gateway (probed)', async (env) => {
  const legacy = (await env.need(legacyTokens)).saas;
  const current = (await env.need(newTokens)).saas;
  const legacyStatus = (await keystroke(env, gatewayHeaders(legacy.token, legacy.claims), 'probe: keystroke with a legacy token')).status;
  const currentStatus = (await keystroke(env, gatewayHeaders(current.token, current.claims), 'probe: keystroke with a new token')).status;
  const phase: GatewayPhase | undefined =
    currentStatus === 200 ? (legacyStatus === 200 ? 'window-open' : 4) : legacyStatus === 200 ? 1 : undefined;
  return { phase, legacy: legacyStatus, current: currentStatus };
});

/**
 * Puts the gateway into `phase` (control API, restored after the check) or, for a gateway
 * without one, makes the check not applicable unless the gateway is fixed in that phase.
 */
async function enterGatewayPhase(env: ConditionEnv, phase: Phase): Promise<void> {
  const control = env.target('ai-gateway').control;
  if (control) {
    await changeResource(env, control, control.auth, GATEWAY_SETTINGS[phase], (b) => ({ audience: b.audience, legacyAudienceWindow: b.legacyAudienceWindow }));
    return;
  }
  const probe = await env.need(probedGatewayPhase);
  if (probe.phase === undefined) {
    return env.notApplicable(`the gateway has no control API and completed neither a legacy token (${probe.legacy}) nor a new one (${probe.current}), so no phase applies (see accepts-tokens-of-one-migration-phase)`);
  }
  if (probe.phase !== gatewayPhaseOf(phase)) {
    return env.notApplicable(`the gateway has no control API and is fixed in ${describe(probe.phase)} (found by probing), not in the gateway state of phase ${phase}`);
  }
}

const describe = (p: GatewayPhase) => (p === 1 ? 'phase 1 (audience gitlab-code-suggestions)' : p === 4 ? 'phase 4 (window closed)' : 'phases 2-3 (window open)');

/** Sends one keystroke per token and expects every one of them `status`. */
async function expectKeystrokes(env: NeedEnv, tokens: Record<string, Held>, status: number, message: string): Promise<void> {
  const answers: Record<string, { status: number; body: unknown }> = {};
  for (const [name, t] of Object.entries(tokens)) {
    const res = await keystroke(env, gatewayHeaders(t.token, t.claims), `keystroke with the ${name} token`);
    answers[name] = { status: res.status, body: shownBody(res) };
  }
  const wrong = Object.values(answers).some((a) => a.status !== status);
  const first = Object.values(tokens)[0];
  expectThat(!wrong, `${message}${status === 200 && first ? `; ${trustHint(first.claims)}` : ''}`, {
    expected: Object.fromEntries(Object.keys(answers).map((k) => [k, { status }])),
    actual: answers,
  });
}

/** The contract of a token of one generation: legacy has no scopes, the new one has code_suggestions. */
function expectMinted(t: Held, shape: AiTokenShape, realm: string, who: string): void {
  const { claims } = t;
  expectSchema(claims, SCHEMA.AI_ACCESS_TOKEN_CLAIMS, `the ${who} token's claims`);
  const legacy = shape === 'seed-000';
  const scopes = claims.scopes as unknown;
  const ok = legacy
    ? claims.aud === LEGACY && scopes === undefined
    : claims.aud === CURRENT && claims.gitlab_realm === realm && Array.isArray(scopes) && scopes.includes(UNIT_PRIMITIVE.CODE_SUGGESTIONS);
  expectThat(ok, `the ${who} token is not what the ${legacy ? 'legacy' : 'new'} issuer mints`, {
    expected: legacy ? { aud: LEGACY, scopes: '(absent)' } : { aud: CURRENT, gitlab_realm: realm, scopes: [UNIT_PRIMITIVE.CODE_SUGGESTIONS] },
    actual: { aud: claims.aud, gitlab_realm: claims.gitlab_realm ?? null, scopes: claims.scopes ?? '(absent)' },
  });
}

export const IssuerMintsAs = (phase: 1 | 3) =>
  condition({
    name: phase === 1 ? 'EnsureLegacyIssuerMintsLegacyTokens' : 'EnsureNewIssuerMintsScopedTokens',
    title:
      phase === 1
        ? 'Phase 1: the legacy issuer mints aud gitlab-code-suggestions without scopes; self-managed relays it unchanged'
        : 'Phase 3: the new issuer mints aud gitlab-ai-gateway with scopes [code_suggestions]; self-managed relays it unchanged',
    needs: { pair: phase === 1 ? legacyTokens : newTokens },
    async evaluate({ pair }) {
      expectMinted(pair.saas, ISSUER_SHAPE[phase], GITLAB_REALM.SAAS, 'SaaS');
      expectMinted(pair.sm, ISSUER_SHAPE[phase], GITLAB_REALM.SELF_MANAGED, 'relayed self-managed');
    },
  });

export const AcceptsTokensOfOneMigrationPhase = condition({
  name: 'EnsureGatewayInSomeMigrationPhase',
  title: 'The gateway completes a keystroke with a legacy or a new token: it is in one of the phases of the migration',
  needs: { legacy: legacyTokens, current: newTokens },
  async evaluate({ legacy, current }, env) {
    if (env.target('ai-gateway').control) {
      // A gateway the harness can switch is put into each phase by the checks below.
      await enterGatewayPhase(env, 4);
    }
    const legacyRes = await keystroke(env, gatewayHeaders(legacy.saas.token, legacy.saas.claims), 'keystroke with a legacy token');
    const currentRes = await keystroke(env, gatewayHeaders(current.saas.token, current.saas.claims), 'keystroke with a new token');
    expectThat(legacyRes.status === 200 || currentRes.status === 200, `the gateway completed neither token; ${trustHint(current.saas.claims)}`, {
      expected: 'one of them answered 200',
      actual: { legacy: { status: legacyRes.status, body: shownBody(legacyRes) }, new: { status: currentRes.status, body: shownBody(currentRes) } },
    });
  },
});

/** The gateway of `phase` completes keystrokes with these tokens. */
export const GatewayAccepts = (phase: Phase, title: string, tokens: Array<'legacy' | 'new'>) =>
  condition({
    name: 'EnsureGatewayPhaseAccepts',
    title,
    needs: { legacy: legacyTokens, current: newTokens },
    async evaluate({ legacy, current }, env) {
      await enterGatewayPhase(env, phase);
      const chosen: Record<string, Held> = {};
      if (tokens.includes('new')) Object.assign(chosen, { 'new SaaS': current.saas, 'new self-managed': current.sm });
      if (tokens.includes('legacy')) Object.assign(chosen, { 'legacy SaaS': legacy.saas, 'legacy self-managed': legacy.sm });
      await expectKeystrokes(env, chosen, 200, `phase ${phase}: the gateway refused a token it must accept`);
    },
  });

export const ClosedWindowRefusesLegacyTokens = condition({
  name: 'EnsureClosedWindowRefusesLegacy',
  title: 'Phase 4: with the window closed a legacy token, SaaS or self-managed, gets 401 "Forbidden by auth provider"',
  needs: { legacy: legacyTokens, current: newTokens },
  async evaluate({ legacy, current }, env) {
    await enterGatewayPhase(env, 4);
    await expectKeystrokes(env, { 'new SaaS': current.saas }, 200, 'phase 4: the gateway refused the new token (the control request)');
    for (const [name, t] of Object.entries({ 'legacy SaaS': legacy.saas, 'legacy self-managed': legacy.sm })) {
      const res = await keystroke(env, gatewayHeaders(t.token, t.claims), `phase 4: keystroke with the ${name} token`);
      expectRefusal(res, [{ status: 401, body: { error: GATEWAY_AUTH_ERROR.FORBIDDEN } }], `the ${name} token with the window closed`);
    }
  },
});

export const RefusesNewTokensWithoutTheScope = condition({
  name: 'EnsureNewTokenWithoutScopeRefused',
  title: 'Phase 4: a new-audience token whose scopes lack code_suggestions gets 403 "Unauthorized to access code completions"',
  needs: { issuer: controlOf('gitlab-saas'), current: newTokens },
  async evaluate({ issuer, current }, env) {
    await enterGatewayPhase(env, 4);
    await expectKeystrokes(env, { 'new SaaS': current.saas }, 200, 'phase 4: the gateway refused the new token (the control request)');
    const minted = await mint(issuer, { claims: { aud: CURRENT, scopes: [] } });
    const res = await keystroke(env, gatewayHeaders(minted.token, minted.claims), 'phase 4: keystroke with a new token without code_suggestions');
    expectRefusal(res, [{ status: 403, body: { detail: GATEWAY_CODE_COMPLETIONS_FORBIDDEN } }], 'a new token without code_suggestions');
  },
});


/**
 * The four phases in a row, as the diagram draws them: the issuer and the gateway are switched
 * through their control APIs (put back after the check) and only the IDE's requests, and the
 * relay's, are compared with contracts/diagrams/audience-migration.mmd.
 */
export const MigrationReplay = {
  flow: 'the four phases in a row, SaaS and relayed tokens, with the issuer and the gateway switched between phases',
  async prepare(env: ConditionEnv) {
    const issuer = await env.need(controlOf('gitlab-saas'));
    const gateway = await env.need(controlOf('ai-gateway'));
    const pats = { saas: await env.need(idePatOf('gitlab-saas')), sm: await env.need(idePatOf('gitlab-sm')) };
    await changeResource(env, issuer, issuer.aiToken, { shape: 'seed-000' }, (b) => ({ shape: b.shape, includeKid: b.includeKid }));
    await changeResource(env, gateway, gateway.auth, GATEWAY_SETTINGS[1], (b) => ({ audience: b.audience, legacyAudienceWindow: b.legacyAudienceWindow }));
    return { issuer, gateway, pats };
  },
  async run(env: ConditionEnv, prepared: unknown) {
    const { issuer, gateway, pats } = prepared as { issuer: ControlClient; gateway: ControlClient; pats: { saas: string; sm: string } };
    const tokens = async () => ({
      saas: heldOf((await requestAiToken(env, 'gitlab-saas', { [HEADER.AUTHORIZATION]: `Bearer ${pats.saas}` }, 'IDE: POST tokens at SaaS')).token),
      sm: heldOf((await requestAiToken(env, 'gitlab-sm', { [HEADER.AUTHORIZATION]: `Bearer ${pats.sm}` }, 'IDE: POST tokens at self-managed')).token),
    });
    const send = (t: Held, label: string) => keystroke(env, gatewayHeaders(t.token, t.claims), label);
    // Phase 1: legacy issuer, legacy gateway.
    const legacy = await tokens();
    for (const [k, t] of Object.entries(legacy)) await send(t, `phase 1: keystroke, legacy ${k} token`);
    // Phase 2: new gateway, window open; a new-audience token minted out of band.
    await gateway.auth.set(GATEWAY_SETTINGS[2]);
    await issuer.aiToken.set({ shape: 'seed-002' });
    const minted = await mint(issuer);
    await send(legacy.saas, 'phase 2: keystroke, legacy token');
    await send({ token: minted.token, claims: minted.claims }, 'phase 2: keystroke, new-audience token');
    // Phase 3: the new issuer.
    await gateway.auth.set(GATEWAY_SETTINGS[3]);
    const current = await tokens();
    await send(current.saas, 'phase 3: keystroke, new token');
    await send(legacy.sm, 'phase 3: keystroke, legacy token');
    // Phase 4: the window closes.
    await gateway.auth.set(GATEWAY_SETTINGS[4]);
    const unscoped = await mint(issuer, { claims: { scopes: [] } });
    await send(legacy.saas, 'phase 4: keystroke, legacy token');
    await send(current.sm, 'phase 4: keystroke, new token');
    await send({ token: unscoped.token, claims: unscoped.claims }, 'phase 4: keystroke, new token without code_suggestions');
  },
};
