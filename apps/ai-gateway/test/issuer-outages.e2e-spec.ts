import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { GATEWAY_AUTH_ERROR, PATH } from '#contracts';
import { startTestApp, type TestApp } from '#common/testing/app';
import { aiTokenClaims, makeRsaKey, signToken, type TestKey } from '#common/testing/jwt';
import { closedPort } from '#common/testing/loopback';
import { aiGateway } from '../src/app.js';
import type { AiGatewayConfig } from '../src/config.js';
import { keystroke, readiness } from './support/keystroke.js';
import { ModelStub } from './support/model-stub.js';
import { TestIssuer, type IssuerFault } from './support/test-issuer.js';

/**
 * The gateway against issuers that are down, slow, broken or flooded with forged kids: a
 * keystroke gets 401 "Forbidden by auth provider" while no key can verify it (never a 5xx),
 * readiness says why per issuer, and everything recovers within the documented bounds
 * (AIGW_JWKS_COLD_RETRY_MS, AIGW_JWKS_REFETCH_INTERVAL_MS) without a restart.
 */
const COLD_RETRY_MS = 200;
const FETCH_TIMEOUT_MS = 500;
const MAX_BYTES = 16 * 1024;
const FORBIDDEN = { error: GATEWAY_AUTH_ERROR.FORBIDDEN };

type Gateway = TestApp<AiGatewayConfig>;
let model: ModelStub;
let k1: TestKey;
let k2: TestKey;
let attacker: TestKey;
const apps: Gateway[] = [];
const issuers: TestIssuer[] = [];

beforeAll(async () => {
  [k1, k2, attacker] = await Promise.all([makeRsaKey('k1'), makeRsaKey('k2'), makeRsaKey('attacker')]);
  model = await ModelStub.start();
});

afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
  await Promise.all(issuers.splice(0).map((i) => i.stop()));
});

afterAll(async () => {
  await model?.close();
});

/** A gateway trusting `trustedIssuers`, its log lines kept (level trace). */
async function gateway(trustedIssuers: string, env: Record<string, string> = {}): Promise<Gateway> {
  const app = await startTestApp(aiGateway, {
    AIGW_TRUSTED_ISSUERS: trustedIssuers,
    AIGW_MODEL_URL: model.url,
    AIGW_JWKS_COLD_RETRY_MS: String(COLD_RETRY_MS),
    AIGW_JWKS_FETCH_TIMEOUT_MS: String(FETCH_TIMEOUT_MS),
    AIGW_JWKS_MAX_BYTES: String(MAX_BYTES),
    LOG_LEVEL: 'trace',
    ...env,
  });
  apps.push(app);
  return app;
}

async function issuer(keys: TestKey[], port?: number): Promise<TestIssuer> {
  const started = await TestIssuer.start(keys, port);
  issuers.push(started);
  return started;
}

const tokenOf = (iss: string, key: TestKey = k1, header: Record<string, unknown> = {}) => signToken(key, aiTokenClaims(iss), { header });

async function clearKeys(app: Gateway): Promise<void> {
  expect((await app.control('POST', '/-/harness/jwks-cache/clear')).status).toBe(204);
}

describe('issuer down at the first keystroke, then back', () => {
  it('refuses keystrokes with 401 and is not ready while the issuer is down, then recovers within AIGW_JWKS_COLD_RETRY_MS of its return', async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}`;
    const app = await gateway(url);
    const jwt = await tokenOf(url);

    expect(await keystroke(app.url, jwt)).toEqual({ status: 401, json: FORBIDDEN });
    const down = await readiness(app.url);
    expect(down.status).toBe(503);
    expect(down.json).toMatchObject({ status: 'unavailable', checks: { jwks: { status: 'unavailable', reason: expect.stringContaining(url) } } });
    expect(down.json.checks.jwks.issuers).toEqual([{ issuer: url, status: 'unavailable', keys: 0, lastError: expect.stringMatching(/unreachable/) }]);

    await issuer([k1], port);
    await sleep(COLD_RETRY_MS); // the documented bound: the next keystroke loads the keys
    expect((await keystroke(app.url, jwt)).status).toBe(200);
    expect(await readiness(app.url)).toMatchObject({ status: 200, json: { status: 'ok', checks: { jwks: { status: 'ok' } } } });
    expect(app.lines.join('\n')).not.toMatch(/unhandled error/);
  });

  it.each([
    ['answers HTTP 500', 'http-500', /answered HTTP 500/],
    ['answers garbage', 'garbage', /did not return JSON/],
    ['sends a body over AIGW_JWKS_MAX_BYTES', 'huge', new RegExp(`body over ${MAX_BYTES} bytes`)],
    ['hangs', 'hang', new RegExp(`did not answer within ${FETCH_TIMEOUT_MS} ms`)],
  ] as Array<[string, IssuerFault, RegExp]>)('answers 401, never a 5xx, while the issuer %s, says why on readiness, and recovers', async (_name, fault, why) => {
    const up = await issuer([k1]);
    const app = await gateway(up.url);
    const jwt = await tokenOf(up.url);
    expect((await keystroke(app.url, jwt)).status).toBe(200);

    up.fault = fault;
    await clearKeys(app); // cold cache: the next keystroke must fetch
    expect(await keystroke(app.url, jwt)).toEqual({ status: 401, json: FORBIDDEN });
    const broken = await readiness(app.url);
    expect(broken.status).toBe(503);
    expect(broken.json.checks.jwks.issuers[0]).toMatchObject({ status: 'unavailable', lastError: expect.stringMatching(why) });

    up.fault = undefined;
    await sleep(COLD_RETRY_MS);
    expect((await keystroke(app.url, jwt)).status).toBe(200);
    expect((await readiness(app.url)).status).toBe(200);
    expect(app.lines.join('\n')).toMatch(/JWKS fetch failed/);
    expect(app.lines.join('\n')).not.toMatch(/unhandled error/);
  });

  it('keeps verifying tokens of an issuer that is up while another trusted issuer is down, stays ready (degraded, naming the other) and loads it once it is back', async () => {
    const up = await issuer([k1]);
    const downPort = await closedPort();
    const downUrl = `http://127.0.0.1:${downPort}`;
    const app = await gateway(`${up.url},${downUrl}`);

    expect((await keystroke(app.url, await tokenOf(up.url))).status).toBe(200);
    expect(await keystroke(app.url, await tokenOf(downUrl, k2))).toEqual({ status: 401, json: FORBIDDEN });
    // One issuer's outage must not take every replica out of rotation: ready, degraded, saying which.
    const partial = await readiness(app.url);
    expect(partial.status).toBe(200);
    expect(partial.json.checks.jwks).toMatchObject({ status: 'degraded', reason: expect.stringContaining(downUrl) });
    expect(partial.json.checks.jwks.reason).not.toContain(up.url);
    expect(partial.json.checks.jwks.issuers.map((i) => [i.issuer, i.status])).toEqual([
      [up.url, 'ok'],
      [downUrl, 'unavailable'],
    ]);

    await issuer([k2], downPort);
    await sleep(COLD_RETRY_MS);
    expect((await keystroke(app.url, await tokenOf(downUrl, k2))).status).toBe(200);
    expect(await readiness(app.url)).toMatchObject({ status: 200, json: { checks: { jwks: { status: 'ok' } } } });
  });

  it('stays ready, saying it is degraded and why, while an issuer serves its last good keys because its refresh fails', async () => {
    const up = await issuer([k1]);
    const app = await gateway(up.url, { AIGW_JWKS_TTL_SECONDS: '1' });
    const jwt = await tokenOf(up.url);
    expect((await keystroke(app.url, jwt)).status).toBe(200);
    up.fault = 'http-500';
    await sleep(1000); // TTL over: the refresh fails, the keys are served stale
    expect((await keystroke(app.url, jwt)).status).toBe(200);
    const degraded = await readiness(app.url);
    expect(degraded.status).toBe(200);
    expect(degraded.json.checks.jwks).toMatchObject({ status: 'degraded', reason: expect.stringMatching(/last good keys.*HTTP 500/) });
    expect(degraded.json.checks.jwks.issuers).toEqual([{ issuer: up.url, status: 'stale', keys: 1, lastError: expect.stringMatching(/HTTP 500/) }]);
  });
});

describe('a flood of forged kids', () => {
  it('costs the issuer at most one JWKS re-fetch per interval, and a key published during it is accepted on its first token', async () => {
    const INTERVAL_MS = 200;
    const up = await issuer([k1]);
    const app = await gateway(up.url, { AIGW_JWKS_REFETCH_INTERVAL_MS: String(INTERVAL_MS) });
    expect((await keystroke(app.url, await tokenOf(up.url))).status).toBe(200);

    const jwksBefore = up.count(PATH.JWKS);
    const started = Date.now();
    for (let burst = 0; burst < 8; burst++) {
      const forged = await Promise.all(Array.from({ length: 25 }, async () => keystroke(app.url, await tokenOf(up.url, attacker, { kid: randomUUID() }))));
      expect(forged.map((r) => r.status)).toEqual(Array(25).fill(401));
      await sleep(60);
    }
    up.keys = [k1, k2];
    expect((await keystroke(app.url, await tokenOf(up.url, k2))).status).toBe(200);
    const elapsed = Date.now() - started;

    const refetches = up.count(PATH.JWKS) - jwksBefore;
    expect(refetches).toBeGreaterThanOrEqual(1);
    expect(refetches).toBeLessThanOrEqual(Math.ceil(elapsed / INTERVAL_MS) + 1);
  });
});

describe('a configured issuer that differs from discovery by a trailing slash', () => {
  it("keeps its keys, and accepts tokens whose iss is spelled as discovery spells it", async () => {
    const up = await issuer([k1]);
    const app = await gateway(`${up.url}/`);
    expect((await keystroke(app.url, await tokenOf(up.url))).status).toBe(200);
    expect((await readiness(app.url)).json.checks.jwks.status).toBe('ok');
    expect(await keystroke(app.url, await tokenOf(`${up.url}/`))).toEqual({ status: 401, json: FORBIDDEN });
  });
});
