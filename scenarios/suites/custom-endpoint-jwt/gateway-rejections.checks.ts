/**
 * The gateway's refusals (checklist gateway-auth): every request that must not reach the
 * model gets the documented 401/403 body, never a completion and never a 5xx.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AUTHENTICATION_TYPE_OIDC,
  GATEWAY_AUTH_ERROR,
  GATEWAY_CODE_COMPLETIONS_FORBIDDEN,
  HEADER,
  HEADER_BOUND_CLAIMS,
  PATH,
  headerMismatchError,
} from '../../../contracts/src/index.js';
import { mintToken } from '../../checks/control.js';
import { expectError, expectNotEchoed, expectThat, shownBody } from '../../checks/expect.js';
import {
  ForeignKey,
  malformedTokens,
  withAlgNone,
  withAlteredClaims,
  withCorruptedSignature,
  withHs256KeyedByPublicKey,
} from '../../checks/jwt.js';
import { completionRequest, gatewayHeaders, sendKeystroke as keystroke } from '../../clients/code-suggestions.js';
import type { CheckScope, CheckSpec, ScenarioContext } from '../../runner/types.js';
import { usableToken, type CustomEndpointState } from './state.js';

const FORBIDDEN = { error: GATEWAY_AUTH_ERROR.FORBIDDEN };
const NOW = () => Math.floor(Date.now() / 1000);
/** Far beyond any sane clock-skew leeway. */
const HOUR = 3600;

export async function gatewayRejectionChecks(ctx: ScenarioContext, state: CustomEndpointState): Promise<void> {
  const gateway = ctx.http('ide', 'ai-gateway');
  const needToken = (scope: CheckScope) => {
    const t = usableToken(state);
    if (!t) return scope.skip('no JWT was obtained from the issuer, so there is no valid token to alter');
    return t;
  };
  const send = (headers: Record<string, string>, label: string) =>
    gateway.request({ method: 'POST', path: PATH.GATEWAY_COMPLETIONS, headers, json: completionRequest(), label });

  // --- Authorization header and authentication type --------------------------------------
  await ctx.check(
    { id: 'rejects-missing-authorization', title: 'No Authorization header -> 401 "No authorization header presented"', severity: 'MUST', clauses: ['aigw.auth.no-header'] },
    async () =>
      expectError(
        await send({ [HEADER.AUTHENTICATION_TYPE]: AUTHENTICATION_TYPE_OIDC }, 'keystroke without Authorization'),
        401,
        { error: GATEWAY_AUTH_ERROR.NO_HEADER },
      ),
  );

  await ctx.check(
    {
      id: 'rejects-non-bearer-scheme',
      title: 'A Basic credential instead of Bearer -> 401 "Invalid authorization header"',
      severity: 'MUST',
      clauses: ['aigw.auth.bad-header', 'rfc-6750.2.1'],
    },
    async (scope) => {
      const t = needToken(scope);
      const headers = { ...gatewayHeaders(t.token, t.decoded.claims), [HEADER.AUTHORIZATION]: `Basic ${Buffer.from('user:pass').toString('base64')}` };
      expectError(await send(headers, 'keystroke with Basic credentials'), 401, { error: GATEWAY_AUTH_ERROR.INVALID_HEADER });
    },
  );

  await ctx.check(
    {
      id: 'accepts-lowercase-bearer-scheme',
      title: 'The auth scheme is case-insensitive: "bearer <jwt>" is accepted',
      severity: 'SHOULD',
      clauses: ['aigw.auth.bad-header', 'rfc-6750.2.1'],
      dependsOn: ['completes-code-for-a-valid-jwt'],
    },
    async (scope) => {
      const t = needToken(scope);
      const headers = { ...gatewayHeaders(t.token, t.decoded.claims), [HEADER.AUTHORIZATION]: `bearer ${t.token}` };
      const res = await send(headers, 'keystroke with "bearer" in lower case');
      expectThat(res.status === 200, 'a lower-case bearer scheme was refused', { expected: { status: 200 }, actual: { status: res.status, body: shownBody(res) }, res });
    },
  );

  await ctx.check(
    {
      id: 'rejects-bearer-without-token',
      title: '"Bearer" with no token -> 401 (Invalid authorization header, or Forbidden by auth provider)',
      severity: 'MUST',
      clauses: ['aigw.auth.bad-header', 'rfc-6750.2.1'],
    },
    async () => {
      const res = await send({ [HEADER.AUTHORIZATION]: 'Bearer ', [HEADER.AUTHENTICATION_TYPE]: AUTHENTICATION_TYPE_OIDC }, 'keystroke with "Bearer " only');
      const allowed = [GATEWAY_AUTH_ERROR.INVALID_HEADER, GATEWAY_AUTH_ERROR.FORBIDDEN];
      const error = (res.json as { error?: string } | undefined)?.error;
      expectThat(res.status === 401 && allowed.includes(error as (typeof allowed)[number]), 'an empty bearer token must be refused with a documented body', {
        expected: { status: 401, body: allowed.map((e) => ({ error: e })) },
        actual: { status: res.status, body: shownBody(res) },
        res,
      });
    },
  );

  for (const [variant, value] of [
    ['missing', undefined],
    ['not oidc', 'sat'],
  ] as const) {
    await ctx.check(
      {
        id: `rejects-authentication-type-${variant.replace(' ', '-')}`,
        title: `X-Gitlab-Authentication-Type ${variant} -> 401 "Invalid authentication token type - only OIDC is supported"`,
        severity: 'MUST',
        clauses: ['aigw.auth.type'],
      },
      async (scope) => {
        const t = needToken(scope);
        const headers = gatewayHeaders(t.token, t.decoded.claims);
        if (value === undefined) delete headers[HEADER.AUTHENTICATION_TYPE];
        else headers[HEADER.AUTHENTICATION_TYPE] = value;
        expectError(await send(headers, `keystroke, authentication type ${variant}`), 401, { error: GATEWAY_AUTH_ERROR.INVALID_TYPE });
      },
    );
  }

  // --- Claims: validly signed tokens with one thing wrong --------------------------------
  const claimCases: Array<{ spec: CheckSpec; change: () => Record<string, unknown> }> = [
    {
      spec: { id: 'rejects-expired-token', title: 'A token that expired an hour ago -> 401 "Forbidden by auth provider"', severity: 'MUST', clauses: ['rfc-7519.4.1.4', 'aigw.auth.forbidden'] },
      change: () => ({ iat: NOW() - 2 * HOUR, nbf: NOW() - 2 * HOUR - 5, exp: NOW() - HOUR }),
    },
    {
      spec: { id: 'rejects-token-not-yet-valid', title: 'A token whose nbf is an hour ahead -> 401 "Forbidden by auth provider"', severity: 'MUST', clauses: ['rfc-7519.4.1.5', 'aigw.auth.forbidden'] },
      change: () => ({ iat: NOW(), nbf: NOW() + HOUR, exp: NOW() + 2 * HOUR }),
    },
    {
      spec: { id: 'rejects-wrong-audience', title: 'A token for another audience -> 401 "Forbidden by auth provider"', severity: 'MUST', clauses: ['rfc-7519.4.1.3', 'aigw.auth.forbidden'] },
      change: () => ({ aud: 'gitlab-some-other-service' }),
    },
    {
      spec: {
        id: 'rejects-untrusted-issuer',
        title: 'A token signed by a trusted key but naming an untrusted issuer -> 401 "Forbidden by auth provider"',
        severity: 'MUST',
        clauses: ['checklist.gateway-auth.9', 'aigw.auth.forbidden'],
      },
      change: () => ({ iss: 'https://gitlab.attacker.example' }),
    },
  ];
  for (const { spec, change } of claimCases) {
    await ctx.check(spec, async (scope) => {
      const minted = await mintToken(ctx, scope, 'gitlab-saas', { claims: change() });
      expectError(await keystroke(gateway, minted.token, minted.claims, spec.id), 401, FORBIDDEN);
    });
  }

  await ctx.check(
    {
      id: 'tolerates-small-clock-skew',
      title: 'A token whose nbf is 5 s ahead (issuer clock slightly fast) is accepted',
      severity: 'SHOULD',
      clauses: ['rfc-7519.4.1.5'],
      dependsOn: ['completes-code-for-a-valid-jwt'],
    },
    async (scope) => {
      const minted = await mintToken(ctx, scope, 'gitlab-saas', { claims: { iat: NOW() + 5, nbf: NOW() + 5, exp: NOW() + HOUR } });
      const res = await keystroke(gateway, minted.token, minted.claims, 'keystroke, nbf 5 s ahead');
      expectThat(res.status === 200, 'a 5 s clock skew was not tolerated', { expected: { status: 200 }, actual: { status: res.status, body: shownBody(res) }, res });
    },
  );

  await ctx.check(
    {
      id: 'accepts-token-without-kid',
      title: 'A validly signed token without kid (as older GitLab issuers sent) is verified against the trusted keys',
      severity: 'SHOULD',
      clauses: ['checklist.gateway-auth.7'],
      dependsOn: ['completes-code-for-a-valid-jwt'],
    },
    async (scope) => {
      const minted = await mintToken(ctx, scope, 'gitlab-saas', { header: { kid: null } });
      const res = await keystroke(gateway, minted.token, minted.claims, 'keystroke, token without kid');
      expectThat(res.status === 200, 'a token without kid was refused', { expected: { status: 200 }, actual: { status: res.status, body: shownBody(res) }, res });
    },
  );

  await ctx.check(
    {
      id: 'rejects-unknown-critical-header',
      title: 'A token with crit naming an extension the gateway does not understand -> 401',
      severity: 'MUST',
      clauses: ['rfc-7515.4.1.11', 'aigw.auth.forbidden'],
    },
    async (scope) => {
      const minted = await mintToken(ctx, scope, 'gitlab-saas', { header: { crit: ['urn:example:must-understand'], 'urn:example:must-understand': true } });
      expectError(await keystroke(gateway, minted.token, minted.claims, 'keystroke, unknown crit'), 401, FORBIDDEN);
    },
  );

  await ctx.check(
    {
      id: 'rejects-token-without-code-suggestions-scope',
      title: 'A valid token whose scopes lack code_suggestions -> 403 {"detail":"Unauthorized to access code completions"}',
      severity: 'MUST',
      clauses: ['aigw.auth.scope'],
    },
    async (scope) => {
      const minted = await mintToken(ctx, scope, 'gitlab-saas', { claims: { scopes: ['duo_chat'] } });
      expectError(await keystroke(gateway, minted.token, minted.claims, 'keystroke, scopes without code_suggestions'), 403, {
        detail: GATEWAY_CODE_COMPLETIONS_FORBIDDEN,
      });
    },
  );

  // --- Signatures and algorithms ---------------------------------------------------------
  const forged: Array<{ spec: CheckSpec; token: (t: { token: string }) => string }> = [
    {
      spec: { id: 'rejects-bad-signature', title: 'A token whose claims were altered after signing -> 401', severity: 'MUST', clauses: ['rfc-7515.5.2', 'aigw.auth.forbidden'] },
      token: (t) => withAlteredClaims(t.token, { scopes: ['code_suggestions', 'duo_chat', 'admin'] }),
    },
    {
      spec: { id: 'rejects-corrupted-signature', title: 'A token with one signature bit flipped -> 401', severity: 'MUST', clauses: ['rfc-7515.5.2', 'aigw.auth.forbidden'] },
      token: (t) => withCorruptedSignature(t.token),
    },
    {
      spec: { id: 'rejects-alg-none', title: 'An unsigned token (alg none) -> 401', severity: 'MUST', clauses: ['rfc-8725.3.1', 'checklist.gateway-auth.4', 'aigw.auth.forbidden'] },
      token: (t) => withAlgNone(t.token),
    },
    {
      spec: {
        id: 'rejects-hs256-keyed-with-public-key',
        title: 'HS256 "signed" with the issuer\'s RSA public key (algorithm confusion) -> 401',
        severity: 'MUST',
        clauses: ['rfc-8725.3.1', 'checklist.gateway-auth.4', 'aigw.auth.forbidden'],
        dependsOn: ['serves-jwks-in-gitlab-shape'],
      },
      token: (t) => withHs256KeyedByPublicKey(t.token, state.jwks!.keys[0]!),
    },
  ];
  for (const { spec, token } of forged) {
    await ctx.check(spec, async (scope) => {
      const t = needToken(scope);
      const res = await keystroke(gateway, token(t), t.decoded.claims, spec.id);
      expectError(res, 401, FORBIDDEN);
    });
  }

  await ctx.check(
    {
      id: 'rejects-embedded-jwk',
      title: 'A token signed by a foreign key that it carries in its own jwk header -> 401',
      severity: 'MUST',
      clauses: ['rfc-8725.3.10', 'aigw.auth.forbidden'],
    },
    async (scope) => {
      const t = needToken(scope);
      const attacker = new ForeignKey();
      const forgedToken = attacker.sign(t.decoded.claims, { kid: attacker.kid, jwk: attacker.publicJwk });
      expectError(await keystroke(gateway, forgedToken, t.decoded.claims, 'keystroke, foreign key in jwk header'), 401, FORBIDDEN);
    },
  );

  await ctx.check(
    {
      id: 'never-follows-jku',
      title: 'A token pointing jku at an attacker\'s JWKS -> 401, and the gateway never fetches that URL',
      severity: 'MUST',
      clauses: ['rfc-8725.3.10', 'checklist.gateway-auth.6', 'aigw.auth.forbidden'],
    },
    async (scope) => {
      const t = needToken(scope);
      const attacker = new ForeignKey('attacker-jku-key');
      const trap = await startTrapServer({ keys: [attacker.publicJwk] });
      try {
        const forgedToken = attacker.sign(t.decoded.claims, { kid: attacker.kid, jku: trap.url });
        const res = await keystroke(gateway, forgedToken, t.decoded.claims, 'keystroke, jku to an attacker URL');
        expectError(res, 401, FORBIDDEN);
        expectThat(trap.hits() === 0, `the gateway fetched the attacker's jku URL ${trap.url}`, { expected: { fetches: 0 }, actual: { fetches: trap.hits() } });
      } finally {
        await trap.close();
      }
    },
  );

  await ctx.check(
    {
      id: 'rejects-malformed-tokens-without-crashing',
      title: 'Malformed tokens of every shape (segments, base64url, JSON, size, nesting) -> 401, never 5xx',
      severity: 'MUST',
      clauses: ['checklist.gateway-auth.14'],
    },
    async (scope) => {
      const t = needToken(scope);
      const wrong: Array<{ name: string; status: number; body: unknown }> = [];
      for (const { name, token } of malformedTokens(t.token)) {
        const res = await keystroke(gateway, token, t.decoded.claims, `malformed: ${name}`);
        if (res.status !== 401) wrong.push({ name, status: res.status, body: shownBody(res) });
      }
      expectThat(wrong.length === 0, `${wrong.length} malformed token(s) were not answered 401: ${wrong.map((w) => w.name).join(', ')}`, {
        expected: { status: 401 },
        actual: wrong,
      });
    },
  );

  // --- Header binding ---------------------------------------------------------------------
  for (const { claim, header } of HEADER_BOUND_CLAIMS) {
    await ctx.check(
      {
        id: `rejects-${header.toLowerCase()}-mismatch`,
        title: `${header} different from the token's ${claim} claim -> 401 "Header mismatch '${header}'"`,
        severity: 'MUST',
        clauses: ['aigw.auth.header-binding'],
      },
      async (scope) => {
        const t = needToken(scope);
        if (typeof t.decoded.claims[claim] !== 'string') scope.skip(`the issuer's tokens carry no ${claim} claim, so there is nothing to bind ${header} to`);
        const headers = { ...gatewayHeaders(t.token, t.decoded.claims), [header]: `not-${String(t.decoded.claims[claim])}` };
        expectError(await send(headers, `keystroke, ${header} mismatch`), 401, { error: headerMismatchError(header) });
      },
    );
  }

  await ctx.check(
    {
      id: 'never-echoes-the-token',
      title: 'Refusals (expired, forged, mismatched) never echo the token in the response body',
      severity: 'MUST',
      clauses: ['checklist.gateway-auth.18'],
    },
    async (scope) => {
      const t = needToken(scope);
      const samples = [withCorruptedSignature(t.token), withAlgNone(t.token)];
      for (const token of samples) {
        const res = await keystroke(gateway, token, t.decoded.claims, 'keystroke, refused token');
        expectThat(res.status === 401, 'the forged token was not refused', { expected: { status: 401 }, actual: { status: res.status }, res });
        expectNotEchoed(res, token, 'token');
        expectNotEchoed(res, token.split('.')[1] ?? '', 'token payload');
      }
      const mismatch = await send({ ...gatewayHeaders(t.token, t.decoded.claims), [HEADER.REALM]: 'not-a-realm' }, 'keystroke, realm mismatch');
      expectNotEchoed(mismatch, t.token, 'token');
    },
  );
}

interface TrapServer {
  url: string;
  hits(): number;
  close(): Promise<void>;
}

/** A loopback server that counts every request: proof that a URL was, or was not, fetched. */
async function startTrapServer(jwks: unknown): Promise<TrapServer> {
  let hits = 0;
  const server: Server = createServer((_req, res) => {
    hits++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/jwks.json`,
    hits: () => hits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

