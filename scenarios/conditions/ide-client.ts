/**
 * Conditions on an IDE client as seed 003 describes it (the system under test): each check puts
 * a fresh install of the client (the profile's `ide-client`, the reference client by default) in
 * front of a fresh authorization server of the harness's own (checks/faulty-authorization-server.ts)
 * that signs its user in automatically and misbehaves in one way, drives the client through user
 * actions (sign in, call the resource, sign out) and judges what the client did from the traffic
 * the server observed. Every refusal the client must make is paired with the same action without
 * the fault, which must succeed: a client that refuses everything fails these checks, never
 * passes them. The server and the client's folder live for one check only.
 */
import { fail } from '../checks/expect.js';
import { FaultyAuthorizationServer, type Faults, type ObservedCall } from '../checks/faulty-authorization-server.js';
import { IdeClientUnderTest, type ActionOutcome } from '../checks/ide-client-process.js';
import type { IdeClientAction } from '../clients/ide/protocol.js';
import { condition, type ConditionEnv } from '../runner/condition.js';

/** How long the token endpoint stalls a refresh in the concurrency check, in milliseconds. */
const SLOW_REFRESH_MS = 500;
/** Concurrent resource calls in the concurrency check. */
const CONCURRENT_CALLS = 4;

/** One check's client and server, with what the client did. */
export class Trial {
  readonly outcomes: ActionOutcome[] = [];

  constructor(
    readonly server: FaultyAuthorizationServer,
    readonly client: IdeClientUnderTest,
  ) {}

  /** Runs one action of the client; its output is kept (tokens masked) for the report. */
  async act(action: IdeClientAction, args: string[] = []): Promise<ActionOutcome> {
    const outcome = await this.client.run(action, args, this.secrets());
    this.outcomes.push(outcome);
    return outcome;
  }

  /** The number of requests the server has seen: a mark for `since`. */
  mark(): number {
    return this.server.calls.length;
  }

  /** Token endpoint requests of `grant` since `mark`. */
  grants(grant: 'authorization_code' | 'refresh_token', since = 0): ObservedCall[] {
    return this.server.callsTo('token', since).filter((c) => c.params.grant_type === grant);
  }

  /** The tokens of the latest successful token response. */
  latestTokens(): { access_token: string; refresh_token: string } | undefined {
    return this.server.callsTo('token').filter((c) => c.issued).at(-1)?.issued;
  }

  /** Every code and token the server handed out (masked in outputs and the transcript). */
  secrets(): string[] {
    return this.server.calls.flatMap((c) => [c.redirect?.code, c.issued?.access_token, c.issued?.refresh_token]).filter((s): s is string => !!s);
  }

  /** The server's view and the client's outputs, tokens replaced by their ordinal ("access token 2"). */
  transcript(): string {
    const names = new Map<string, string>();
    const counters = { code: 0, 'access token': 0, 'refresh token': 0, client: 0 };
    const nameOf = (kind: keyof typeof counters, value: string) => {
      if (!names.has(value)) names.set(value, `${kind} ${++counters[kind]}`);
      return names.get(value)!;
    };
    for (const c of this.server.calls) {
      if (c.redirect?.code) nameOf('code', c.redirect.code);
      if (c.issued) {
        nameOf('access token', c.issued.access_token);
        nameOf('refresh token', c.issued.refresh_token);
      }
    }
    for (const id of this.server.registeredClientIds()) nameOf('client', id);
    const shown = (v: string) => names.get(v) ?? (v.length > 24 ? `${v.slice(0, 8)}…` : v);
    const lines = this.server.calls.map((c) => {
      const params = Object.entries(c.params)
        .filter(([k]) => ['grant_type', 'client_id', 'code', 'refresh_token', 'token', 'token_type_hint', 'state', 'code_challenge_method'].includes(k))
        .map(([k, v]) => `${k}=${k === 'state' ? v.slice(0, 12) : k === 'grant_type' || k === 'code_challenge_method' || k === 'token_type_hint' ? v : shown(v)}`);
      const redirect = c.redirect ? ` -> code=${c.redirect.code ? shown(c.redirect.code) : '-'} state=${c.redirect.state?.slice(0, 12) ?? '-'} iss=${c.redirect.iss ?? '-'}` : '';
      return `${String(c.seq).padStart(3)} ${c.method} ${c.endpoint}${c.bearer ? ` [Bearer ${shown(c.bearer)}]` : ''} ${params.join(' ')} => ${c.status}${c.error ? ` ${c.error}` : ''}${redirect}`;
    });
    const outputs = this.outcomes.map((o) => `$ ${o.action} -> ${o.timedOut ? 'stopped after its timeout' : `exit ${o.exitCode}`} in ${o.durationMs} ms${o.stdout ? `\n  stdout: ${o.stdout}` : ''}${o.stderr ? `\n  stderr: ${o.stderr}` : ''}`);
    return `What the authorization server observed (${this.server.issuer}):\n${lines.join('\n')}\n\nThe IDE client's actions:\n${outputs.join('\n')}`;
  }
}

/** Starts a server with `faults` and installs the profile's client; both are removed after the check. */
async function trial(env: ConditionEnv, faults: Faults = {}): Promise<Trial> {
  const server = await new FaultyAuthorizationServer().start();
  server.faults = { ...faults };
  const client = await IdeClientUnderTest.install(env.ideClient(), { issuer: server.issuer, resourceUrl: server.resourceUrl });
  const t = new Trial(server, client);
  env.restore('remove the IDE client install and stop its authorization server', async () => {
    env.attach('ide-client transcript', t.transcript());
    await client.dispose();
    await server.close();
  });
  return t;
}

function described(o: ActionOutcome): string {
  return `${o.action}: ${o.timedOut ? 'stopped after its timeout' : `exit ${o.exitCode}`}${o.stderr ? ` (${o.stderr.split('\n').at(-1)})` : ''}`;
}

/** Signs in without a fault; the control every other judgement rests on. Fails naming what went wrong. */
async function signInCleanly(t: Trial, why: string): Promise<void> {
  const since = t.mark();
  const o = await t.act('sign-in');
  const redeemed = t.grants('authorization_code', since).filter((c) => c.status === 200);
  if (o.exitCode !== 0 || redeemed.length === 0) {
    fail(`${why}: the client did not sign in against a server that behaved (see the transcript)`, {
      expected: 'sign-in exits 0 after redeeming a code at the token endpoint',
      actual: { outcome: described(o), codesRedeemed: redeemed.length },
    });
  }
}

/** Calls the resource without a fault and expects success. */
async function callCleanly(t: Trial, why: string): Promise<void> {
  const since = t.mark();
  const o = await t.act('call');
  const ok = t.server.callsTo('resource', since).filter((c) => c.status === 200);
  if (o.exitCode !== 0 || ok.length === 0) {
    fail(`${why}: the client's resource call did not succeed`, { expected: 'call exits 0 after a 200 from the resource', actual: { outcome: described(o), resourceAnswers: t.server.callsTo('resource', since).map((c) => c.status) } });
  }
}

/** What a `call` did after a clean sign-in and a change of the server: the traffic the judgements read. */
interface CallAfterChange {
  t: Trial;
  /** The tokens the client held before the change. */
  before: { access_token: string; refresh_token: string };
  since: number;
  outcome: ActionOutcome;
  refreshes: ObservedCall[];
  resourceCalls: ObservedCall[];
}

/** Signs in without a fault, applies `change` to the server, then runs `call` with `args`. */
async function callAfterChange(env: ConditionEnv, change: (server: FaultyAuthorizationServer) => void, args: string[] = []): Promise<CallAfterChange> {
  const t = await trial(env);
  await signInCleanly(t, 'sign-in');
  const before = t.latestTokens()!;
  change(t.server);
  const since = t.mark();
  const outcome = await t.act('call', args);
  return { t, before, since, outcome, refreshes: t.grants('refresh_token', since), resourceCalls: t.server.callsTo('resource', since) };
}

/** The authorization requests since `since` (RFC 6749 §4.1.1). */
function authorizations(t: Trial, since: number): ObservedCall[] {
  return t.server.callsTo('authorize', since);
}

// --- Sign-in ------------------------------------------------------------------------------

export const SignsInWithPkceS256 = condition({
  name: 'SignsInWithPkceS256',
  title: 'Against a server that behaves, the client discovers, registers, signs in with PKCE S256 and calls the resource with its bearer token',
  needs: {},
  async evaluate(_in, env) {
    const t = await trial(env);
    await signInCleanly(t, 'sign-in');
    const auth = authorizations(t, 0).at(-1)!;
    if (auth.params.code_challenge_method !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(auth.params.code_challenge ?? '')) {
      fail('the authorization request did not use PKCE with S256 (RFC 7636 §4.2-4.3; OAuth 2.1 requires PKCE)', {
        expected: { code_challenge_method: 'S256', code_challenge: '43 base64url characters' },
        actual: { code_challenge_method: auth.params.code_challenge_method ?? '(absent)', code_challenge: auth.params.code_challenge ? `${auth.params.code_challenge.length} characters` : '(absent)' },
      });
    }
    if (t.server.callsTo('register').filter((c) => c.status === 201).length !== 1) {
      fail('the client did not register itself once (RFC 7591 §3.1, seed 003 "dynamic client registration")', { expected: 'one successful registration', actual: t.server.callsTo('register').map((c) => c.status) });
    }
    await callCleanly(t, 'the first call after signing in');
    const tokens = t.latestTokens()!;
    const used = t.server.callsTo('resource').at(-1)!;
    if (used.bearer !== tokens.access_token) fail('the resource call did not carry the access token the server issued (RFC 6750 §2.1)', { expected: 'Authorization: Bearer <the issued access token>', actual: used.bearer ? 'another bearer token' : 'no bearer token' });
  },
});

/**
 * The client must not redeem the code of an authorization response that fails a check it must
 * make; then, with the fault gone, it must sign in (so a client that never signs in fails).
 * `applies` may declare the check not applicable from the client's authorization request.
 */
function refusesAuthorizationResponse(spec: { name: string; title: string; faults: Faults; fault: string; clause: string; applies?: (auth: ObservedCall) => string | undefined }) {
  return condition({
    name: spec.name,
    title: spec.title,
    needs: {},
    async evaluate(_in, env) {
      const t = await trial(env, spec.faults);
      const o = await t.act('sign-in');
      const auth = authorizations(t, 0).at(-1);
      if (!auth) fail('the client never sent an authorization request, so the fault could not be shown to it', { expected: 'an authorization request (RFC 6749 §4.1.1)', actual: described(o) });
      const why = spec.applies?.(auth);
      if (why) env.notApplicable(why);
      const code = auth.redirect?.code;
      const redeemed = t.grants('authorization_code').filter((c) => c.params.code === code);
      if (redeemed.length > 0) {
        fail(`the client redeemed the code of an authorization response with ${spec.fault} (${spec.clause})`, {
          expected: 'no token request with that code; the sign-in refused',
          actual: { tokenRequests: redeemed.length, tokenAnswer: redeemed[0]!.status, outcome: described(o) },
        });
      }
      t.server.faults = {};
      await signInCleanly(t, `the same sign-in without ${spec.fault} (the control)`);
    },
  });
}

export const RefusesAWrongState = refusesAuthorizationResponse({
  name: 'RefusesAnAuthorizationResponseWithAnotherState',
  title: "An authorization response whose state is not the request's is refused (CSRF); the same sign-in without the fault succeeds",
  faults: { wrongState: true },
  fault: 'a state other than the one the client sent',
  clause: 'RFC 6749 §10.12, RFC 9700 §4.7.1',
  applies: (auth) => (auth.params.state === undefined ? 'the client sends no state: it relies on PKCE against CSRF, which RFC 9700 §2.1 allows once the server supports PKCE' : undefined),
});

export const RefusesAMissingIss = refusesAuthorizationResponse({
  name: 'RefusesAnAuthorizationResponseWithoutIss',
  title: 'An authorization response without iss is refused when the metadata says iss is always sent; the same sign-in with iss succeeds',
  faults: { missingIss: true },
  fault: 'no iss although the metadata has authorization_response_iss_parameter_supported: true',
  clause: 'RFC 9207 §2.4',
});

export const RefusesAWrongIss = refusesAuthorizationResponse({
  name: 'RefusesAnAuthorizationResponseFromAnotherIssuer',
  title: "An authorization response naming another issuer is refused (mix-up); the same sign-in with the server's own iss succeeds",
  faults: { wrongIss: true },
  fault: 'the iss of another authorization server',
  clause: 'RFC 9207 §2.4, RFC 9700 §4.4.2',
});

export const NeverDowngradesPkce = condition({
  name: 'NeverDowngradesPkceToPlain',
  title: "Metadata offering only plain PKCE does not make the client use plain or drop PKCE; with S256 offered it signs in",
  needs: {},
  async evaluate(_in, env) {
    const t = await trial(env, { plainOnlyMetadata: true });
    const o = await t.act('sign-in');
    const weak = authorizations(t, 0).filter((c) => c.params.code_challenge_method !== 'S256' || !c.params.code_challenge);
    if (weak.length > 0) {
      fail('the client sent an authorization request without S256 PKCE to a server offering only plain (RFC 7636 §4.2: a client able to use S256 MUST; RFC 9700 §2.1.1)', {
        expected: 'no authorization request, or one with code_challenge_method=S256',
        actual: { code_challenge_method: weak[0]!.params.code_challenge_method ?? '(absent)', code_challenge: weak[0]!.params.code_challenge ? 'present' : '(absent)', outcome: described(o) },
      });
    }
    t.server.faults = {};
    await signInCleanly(t, 'the same sign-in with S256 offered (the control)');
  },
});

// --- Token responses ----------------------------------------------------------------------

function acceptsTokenResponse(spec: { name: string; title: string; faults: Faults; what: string; clause: string }) {
  return condition({
    name: spec.name,
    title: spec.title,
    needs: {},
    async evaluate(_in, env) {
      const t = await trial(env, spec.faults);
      await signInCleanly(t, `a token response with ${spec.what} (${spec.clause})`);
      await callCleanly(t, `after a token response with ${spec.what} (${spec.clause})`);
    },
  });
}

export const AcceptsALowercaseBearerTokenType = acceptsTokenResponse({
  name: 'AcceptsALowercaseBearerTokenType',
  title: 'A token response with token_type "bearer" in lower case is accepted and the token used',
  faults: { tokenType: 'bearer' },
  what: 'token_type "bearer" in lower case',
  clause: 'RFC 6749 §5.1: token_type is case insensitive',
});

export const AcceptsATokenResponseWithoutExpiresIn = acceptsTokenResponse({
  name: 'AcceptsATokenResponseWithoutExpiresIn',
  title: 'A token response without expires_in is accepted and the token used',
  faults: { omitExpiresIn: true },
  what: 'no expires_in',
  clause: 'RFC 6749 §5.1: expires_in is RECOMMENDED, not REQUIRED',
});

// --- Refresh ------------------------------------------------------------------------------

export const EndsTheSessionOnInvalidGrant = condition({
  name: 'EndsTheSessionOnInvalidGrant',
  title: 'A refresh answered invalid_grant ends the session (no second try, no use of the dead tokens); a new sign-in works',
  needs: {},
  async evaluate(_in, env) {
    const { t, before: dead, outcome: first, refreshes } = await callAfterChange(env, (server) => {
      server.expireAccessTokens();
      server.expireRefreshTokens();
    });
    if (refreshes.length === 0) fail('the client did not refresh when the resource answered 401 invalid_token (seed 003: reactive refresh on 401)', { expected: 'one refresh request', actual: { refreshes: 0, outcome: described(first) } });
    if (refreshes.length > 1) fail('the client presented the refused refresh token again after invalid_grant (seed 003: invalid_grant ends the session)', { expected: 'one refresh request', actual: { refreshes: refreshes.length, outcome: described(first) } });
    const again = t.mark();
    const second = await t.act('call');
    const reused = t.server.calls.slice(again).filter((c) => c.params.refresh_token === dead.refresh_token || c.bearer === dead.access_token);
    if (reused.length > 0) {
      fail('after invalid_grant the next call still used the dead session instead of asking for a new sign-in (seed 003: invalid_grant prompts re-authentication)', {
        expected: 'no request with the refused refresh token or its access token',
        actual: { requests: reused.map((c) => `${c.method} ${c.endpoint}`), outcome: described(second) },
      });
    }
    await signInCleanly(t, 'signing in again after invalid_grant (the control)');
    await callCleanly(t, 'calling after signing in again');
  },
});

export const RegistersAgainAfterInvalidClient = condition({
  name: 'RegistersAgainAfterInvalidClient',
  title: 'A registration the server deleted (invalid_client) is dropped: the next sign-in registers once more and never presents the old client_id',
  needs: {},
  async evaluate(_in, env) {
    let deleted: string[] = [];
    const { t, since, outcome: call } = await callAfterChange(env, (server) => {
      deleted = server.registeredClientIds();
      server.deleteClients();
      server.expireAccessTokens();
    });
    const refused = t.server.callsTo('token', since).find((c) => c.error === 'invalid_client');
    if (!refused) fail('the client did not refresh when the resource answered 401, so it never learnt of the deleted registration (seed 003: reactive refresh on 401)', { expected: 'a refresh answered invalid_client', actual: described(call) });
    const signIn = await t.act('sign-in');
    const after = t.server.calls.slice(refused.seq + 1);
    const stale = after.filter((c) => (c.endpoint === 'authorize' || c.endpoint === 'token' || c.endpoint === 'revoke') && deleted.includes(c.params.client_id ?? ''));
    if (stale.length > 0) {
      fail('after invalid_client the client presented the deleted client_id again (seed 003: invalid_client ends the session; the registration is redone)', {
        expected: 'a new registration, then only its client_id',
        actual: { requestsWithTheDeletedClient: stale.map((c) => `${c.method} ${c.endpoint} => ${c.status}`), outcome: described(signIn) },
      });
    }
    const registrations = after.filter((c) => c.endpoint === 'register' && c.status === 201);
    if (registrations.length !== 1) {
      fail('the client did not register exactly once more after invalid_client (redone once, no loop)', { expected: 'one new registration', actual: { registrations: registrations.length, outcome: described(signIn) } });
    }
    if (signIn.exitCode !== 0) fail('the sign-in after invalid_client did not succeed', { expected: 'exit 0', actual: described(signIn) });
    await callCleanly(t, 'calling with the new registration');
  },
});

export const RetriesOnceAfterA401 = condition({
  name: 'RefreshesAndRetriesOnceAfterA401',
  title: 'A 401 from the resource makes the client refresh once and retry the request once, with the new token',
  needs: {},
  async evaluate(_in, env) {
    const { before, outcome, refreshes, resourceCalls: calls } = await callAfterChange(env, (server) => server.expireAccessTokens());
    const old = before.access_token;
    const fresh = refreshes.find((c) => c.issued)?.issued?.access_token;
    const shape = { refreshes: refreshes.map((c) => c.status), resourceCalls: calls.map((c) => `${c.bearer === old ? 'old token' : c.bearer === fresh ? 'new token' : 'other'} => ${c.status}`), outcome: described(outcome) };
    if (refreshes.length !== 1 || refreshes[0]!.status !== 200) fail('the client did not refresh exactly once on the 401 (seed 003: reactive refresh on 401)', { expected: 'one successful refresh', actual: shape });
    if (calls.length !== 2 || calls[0]!.bearer !== old || calls[1]!.bearer !== fresh || calls[1]!.status !== 200) {
      fail('the client did not retry the request exactly once with the refreshed token (seed 003: automatic request retry)', { expected: ['old token => 401', 'new token => 200'], actual: shape });
    }
    if (outcome.exitCode !== 0) fail('the call failed although its retry got 200', { expected: 'exit 0', actual: shape });
  },
});

export const StopsAfterOneRetry = condition({
  name: 'StopsAfterOneRefreshAndOneRetry',
  title: 'A resource that answers 401 every time gets one refresh and one retry from the client, then the client stops (no loop)',
  needs: {},
  async evaluate(_in, env) {
    const { outcome, refreshes, resourceCalls } = await callAfterChange(env, (server) => {
      server.faults.resourceAlways401 = true;
    });
    const shape = { refreshes: refreshes.length, resourceCalls: resourceCalls.length, outcome: described(outcome) };
    if (outcome.timedOut || refreshes.length > 1 || resourceCalls.length > 2) fail('the client kept refreshing and retrying on 401 (seed 003: one refresh, one retry)', { expected: { refreshes: 1, resourceCalls: 2 }, actual: shape });
    if (refreshes.length !== 1 || resourceCalls.length !== 2) fail('the client did not refresh once and retry once on 401 (seed 003: reactive refresh with automatic retry)', { expected: { refreshes: 1, resourceCalls: 2 }, actual: shape });
  },
});

export const SharesOneRefresh = condition({
  name: 'SharesOneRefreshAmongConcurrentRequests',
  title: `${CONCURRENT_CALLS} concurrent requests that all meet a 401 while the token endpoint is slow share one refresh, and all succeed`,
  needs: {},
  async evaluate(_in, env) {
    const { outcome, refreshes, resourceCalls } = await callAfterChange(
      env,
      (server) => {
        server.expireAccessTokens();
        server.faults.refreshDelayMs = SLOW_REFRESH_MS;
      },
      [String(CONCURRENT_CALLS)],
    );
    const ok = resourceCalls.filter((c) => c.status === 200).length;
    const shape = { refreshes: refreshes.map((c) => `${c.status}${c.error ? ` ${c.error}` : ''}`), resourceCallsAnswered200: ok, outcome: described(outcome) };
    if (refreshes.length !== 1) {
      fail('concurrent requests did not share one refresh: with refresh token rotation a second refresh presents a spent token, which ends the grant (RFC 9700 §4.14.2)', { expected: { refreshes: 1 }, actual: shape });
    }
    if (ok !== CONCURRENT_CALLS || outcome.exitCode !== 0) fail(`not all ${CONCURRENT_CALLS} requests succeeded after the shared refresh`, { expected: { resourceCallsAnswered200: CONCURRENT_CALLS, exit: 0 }, actual: shape });
  },
});

// --- Sign-out -----------------------------------------------------------------------------

function revokesOnSignOut(spec: { name: string; title: string; token: 'refresh_token' | 'access_token'; clause: string }) {
  return condition({
    name: spec.name,
    title: spec.title,
    needs: {},
    async evaluate(_in, env) {
      const t = await trial(env);
      await signInCleanly(t, 'sign-in');
      const tokens = t.latestTokens()!;
      const since = t.mark();
      const o = await t.act('sign-out');
      const revocations = t.server.callsTo('revoke', since);
      const revoked = revocations.find((c) => c.params.token === tokens[spec.token] && c.status === 200);
      if (!revoked) {
        fail(`sign-out did not revoke the ${spec.token.replace('_', ' ')} (${spec.clause})`, {
          expected: `a revocation request (RFC 7009 §2.1) with token=<the ${spec.token.replace('_', ' ')}>`,
          actual: { revocationRequests: revocations.map((c) => `token=${c.params.token === tokens.refresh_token ? 'refresh token' : c.params.token === tokens.access_token ? 'access token' : 'other'} => ${c.status}`), outcome: described(o) },
        });
      }
    },
  });
}

export const RevokesTheRefreshTokenOnSignOut = revokesOnSignOut({
  name: 'RevokesTheRefreshTokenOnSignOut',
  title: 'Signing out revokes the refresh token at the revocation endpoint',
  token: 'refresh_token',
  clause: 'seed 003: revocation ends the lifecycle; RFC 7009 §2.1',
});

export const RevokesTheAccessTokenOnSignOut = revokesOnSignOut({
  name: 'RevokesTheAccessTokenOnSignOut',
  title: 'Signing out also revokes the access token (a server may not end it with the refresh token, RFC 7009 §2.1)',
  token: 'access_token',
  clause: 'seed 003: revocation of the tokens on sign-out; RFC 7009 §2.1',
});
