import { HEADER, PATH } from '#contracts';
import { startTestApp, type TestApp } from '#common/testing/app';
import { aiTokenClaims, makeRsaKey, signToken, type TestKey } from '#common/testing/jwt';
import { aiGateway } from '../src/app.js';
import { KeystrokeAuthHook } from '../src/auth/keystroke-auth.hook.js';
import type { AiGatewayConfig } from '../src/config.js';
import { BODY, keystrokeHeaders } from './support/keystroke.js';
import { ModelStub } from './support/model-stub.js';
import { TestIssuer } from './support/test-issuer.js';

/**
 * AIGW_AUTH_GUARD wires the same checks directly (a Fastify hook on the keystroke routes, the
 * Nest guard elsewhere) or through @nestjs/passport (the benchmark measures both): every answer,
 * refusals included, must be the same either way.
 */
let key: TestKey;
let foreign: TestKey;
let issuer: TestIssuer;
let model: ModelStub;
const gateways: Partial<Record<'direct' | 'passport', TestApp<AiGatewayConfig>>> = {};

beforeAll(async () => {
  [key, foreign] = await Promise.all([makeRsaKey('k1'), makeRsaKey('k1')]);
  issuer = await TestIssuer.start([key]);
  model = await ModelStub.start();
  for (const guard of ['direct', 'passport'] as const) {
    gateways[guard] = await startTestApp(aiGateway, { AIGW_TRUSTED_ISSUERS: issuer.url, AIGW_MODEL_URL: model.url, AIGW_AUTH_GUARD: guard, AIGW_JWKS_REFETCH_INTERVAL_MS: '0' });
  }
});

afterAll(async () => {
  for (const gateway of Object.values(gateways)) await gateway?.close();
  await model?.close();
  await issuer?.stop();
});

async function answer(url: string, path: string, headers: Record<string, string>): Promise<string> {
  const res = await fetch(`${url}${path}`, { method: path === PATH.GATEWAY_COMPLETIONS ? 'POST' : 'GET', headers, body: path === PATH.GATEWAY_COMPLETIONS ? JSON.stringify(BODY) : undefined });
  const text = await res.text();
  return `${res.status} ${res.headers.get('www-authenticate') ?? '-'} ${text.replace(/"id":"[^"]*"|"created":\d+/g, '')}`;
}

it('answers every keystroke alike with the guard wired directly and through passport', async () => {
  const valid = await signToken(key, aiTokenClaims(issuer.url));
  const cases: Array<[string, string, Record<string, string>]> = [
    ['valid', PATH.GATEWAY_COMPLETIONS, keystrokeHeaders(valid)],
    ['no Authorization', PATH.GATEWAY_COMPLETIONS, keystrokeHeaders(undefined)],
    ['not Bearer', PATH.GATEWAY_COMPLETIONS, keystrokeHeaders(undefined, { authorization: `Basic ${valid}` })],
    ['not oidc', PATH.GATEWAY_COMPLETIONS, keystrokeHeaders(valid, { [HEADER.AUTHENTICATION_TYPE]: 'oauth2' })],
    ['foreign key', PATH.GATEWAY_COMPLETIONS, keystrokeHeaders(await signToken(foreign, aiTokenClaims(issuer.url)))],
    ['realm mismatch', PATH.GATEWAY_COMPLETIONS, keystrokeHeaders(valid, { [HEADER.REALM]: 'self-managed' })],
    ['no code_suggestions scope', PATH.GATEWAY_COMPLETIONS, keystrokeHeaders(await signToken(key, aiTokenClaims(issuer.url, { scopes: ['duo_chat'] })))],
    ['public route', PATH.GATEWAY_HEALTHZ, {}],
  ];
  const seen: Record<string, Record<string, string>> = {};
  for (const [name, path, headers] of cases) {
    seen[name] = { direct: await answer(gateways.direct!.url, path, headers), passport: await answer(gateways.passport!.url, path, headers) };
  }
  for (const [name, { direct, passport }] of Object.entries(seen)) expect({ name, passport }).toEqual({ name, passport: direct });
  expect(seen.valid!.direct).toMatch(/^200 /);
  expect(seen['no Authorization']!.direct).toMatch(/^401 /);
  expect(seen['no code_suggestions scope']!.direct).toMatch(/^403 /);
  expect(seen['public route']!.direct).toMatch(/^200 /);
});

it('guards the keystroke routes in the hook when direct, by the unit primitive each declares, and leaves passport to its guard', () => {
  const table = (guard: 'direct' | 'passport') =>
    Object.fromEntries([...gateways[guard]!.app.get(KeystrokeAuthHook).routes].map(([method, paths]) => [method, Object.fromEntries(paths)]));
  expect(table('direct')).toEqual({
    POST: { [PATH.GATEWAY_COMPLETIONS]: 'code_suggestions', [PATH.GATEWAY_COMPLETIONS_ALIAS]: 'code_suggestions', [PATH.GATEWAY_CHAT_AGENT]: 'duo_chat' },
  });
  expect(table('passport')).toEqual({});
});
