import { GITLAB_ERROR } from '#contracts';
import { ContractHttpException } from '#common';
import type { Actor } from '../auth/actor.js';
import { InstanceSettings } from '../settings/instance-settings.service.js';
import { captureLogger } from '#common/testing/app';
import { type FetchLike, SaasRelayClient } from './saas-relay-client.js';
import { RELAY_LOG_MESSAGE, SaasTokenRelay } from './saas-token-relay.service.js';

const STORED = 'glpat-unit-relay-stored-token';
const actor: Actor = {
  via: 'personal_access_token',
  user: { id: 2001, username: 'sm-developer', name: 'SM Dev', admin: false, groups: [], globalId: 'g' },
  scopes: ['api'],
  tokenName: 'api',
};
const VALID = { access_token: 'eyJhbGciOiJSUzI1NiJ9.eyJqdGkiOiIxIn0.c2ln', expires_in: 3600, created_at: 1 };

function setUp(seed: { code_suggestions_enabled?: boolean; ai_access_token?: string | null }, answer: () => Promise<Response>) {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  const fetch: FetchLike = (url, init) => {
    calls.push({ url, init });
    return answer();
  };
  const settings = new InstanceSettings(seed);
  const { logger, lines } = captureLogger('gitlab', 'trace');
  const relay = new SaasTokenRelay(settings, new SaasRelayClient({ saasUrl: 'https://saas.example.test', timeoutMs: 500, fetch }), logger);
  return { relay, settings, calls, lines };
}

async function rejection(p: Promise<unknown>): Promise<ContractHttpException> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ContractHttpException);
  return e as ContractHttpException;
}

const json = (status: number, body: unknown) => () => Promise.resolve(new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } }));

describe('SaasTokenRelay', () => {
  it('answers 404 without calling SaaS while code suggestions are disabled on the instance', async () => {
    const { relay, calls } = setUp({ code_suggestions_enabled: false, ai_access_token: STORED }, json(201, VALID));
    const e = await rejection(relay.relay({ actor, userAgent: undefined }));
    expect([e.getStatus(), e.body]).toEqual([404, GITLAB_ERROR.NOT_FOUND]);
    expect(calls).toEqual([]);
  });

  it('answers 404 without calling SaaS when no service access token is stored', async () => {
    for (const token of [null, '', undefined]) {
      const { relay, calls } = setUp({ code_suggestions_enabled: true, ai_access_token: token }, json(201, VALID));
      const e = await rejection(relay.relay({ actor, userAgent: undefined }));
      expect([e.getStatus(), e.body]).toEqual([404, GITLAB_ERROR.NOT_FOUND]);
      expect(calls).toEqual([]);
    }
  });

  it('relays with the token stored now, returns SaaS\'s answer and logs it without the token', async () => {
    const { relay, settings, calls, lines } = setUp({ code_suggestions_enabled: true, ai_access_token: 'glpat-the-seeded-one-000' }, json(201, VALID));
    settings.update({ ai_access_token: STORED });
    expect(await relay.relay({ actor, userAgent: 'vscode' })).toEqual({ status: 201, body: VALID, bodyText: JSON.stringify(VALID) });
    expect(calls.map((c) => c.url)).toEqual(['https://saas.example.test/api/v4/code_suggestions/tokens']);
    expect((calls[0]!.init.headers as Record<string, string>).Authorization).toBe(`Bearer ${STORED}`);
    const logged = lines.map((l) => JSON.parse(l) as { level: number; msg: string; relay?: Record<string, unknown> });
    expect(logged).toEqual([
      expect.objectContaining({
        level: 30,
        msg: RELAY_LOG_MESSAGE,
        relay: {
          saasUrl: 'https://saas.example.test/api/v4/code_suggestions/tokens',
          outcome: 'token',
          saasStatus: 201,
          status: 201,
          durationMs: expect.any(Number),
          timeoutMs: 500,
          user: 'sm-developer',
        },
      }),
    ]);
    expect(lines.join('\n')).not.toContain(STORED);
  });

  it('logs a failed relay as a warning with its outcome, still without the token', async () => {
    const refused = () => Promise.reject(new TypeError(`fetch failed for Bearer ${STORED}`, { cause: { code: 'ECONNREFUSED' } }));
    const { relay, lines } = setUp({ code_suggestions_enabled: true, ai_access_token: STORED }, refused);
    expect(await relay.relay({ actor, userAgent: undefined })).toEqual({
      status: 502,
      body: { message: '502 Bad Gateway - GitLab SaaS at https://saas.example.test could not be reached' },
    });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 40, relay: { outcome: 'unreachable', errorCode: 'ECONNREFUSED', status: 502 } });
    expect(lines[0]).not.toContain(STORED);
  });

  it('logs why SaaS\'s answer could not be relayed', async () => {
    const html = () => Promise.resolve(new Response('<html>Sign in</html>', { status: 200, headers: { 'content-type': 'text/html' } }));
    const { relay, lines } = setUp({ code_suggestions_enabled: true, ai_access_token: STORED }, html);
    expect((await relay.relay({ actor, userAgent: undefined })).status).toBe(502);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 40, relay: { outcome: 'malformed', problem: 'not-json', saasStatus: 200, status: 502 } });
  });

  it('relays to where the control API points it until reset, then to SAAS_URL again', async () => {
    const { relay, calls } = setUp({ code_suggestions_enabled: true, ai_access_token: STORED }, json(201, VALID));
    expect(relay.retarget({ saas_url: 'http://127.0.0.1:9' })).toEqual({ saas_url: 'http://127.0.0.1:9', timeout_ms: 500 });
    await relay.relay({ actor, userAgent: undefined });
    relay.reset();
    expect(relay.target).toEqual({ saas_url: 'https://saas.example.test', timeout_ms: 500 });
    await relay.relay({ actor, userAgent: undefined });
    expect(calls.map((c) => c.url)).toEqual(['http://127.0.0.1:9/api/v4/code_suggestions/tokens', 'https://saas.example.test/api/v4/code_suggestions/tokens']);
  });
});
