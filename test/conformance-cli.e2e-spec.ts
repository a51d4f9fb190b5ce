/**
 * The README's main job, as a user runs it: the CLI starts the embedded stack, runs the
 * scenarios, writes the three reports and exits 0 only when no MUST check failed. Then the
 * same suite certifies a gateway it did not start (ours, launched separately and given with
 * --target), which is how a team validates its own implementation.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../scenarios/runner/stack/ports.js';
import type { RunningStack } from '../scenarios/runner/stack/launcher.js';
import type { RunResult } from '../scenarios/runner/types.js';
import { demoCredentials, roleUrl, runCli, startEmbedded, tempDir } from './support.js';

// A whole run takes about a minute here; a loaded 2-core CI machine has needed over two.
const WHOLE_SUITE_MS = 600_000;

function readResults(dir: string): RunResult {
  return JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunResult;
}

describe('ai-auth-harness run (compiled CLI)', () => {
  it('passes every check of every scenario against the embedded stack and writes the three reports', async () => {
    const reports = tempDir('cli');
    const { code, stdout, stderr } = await runCli(['run', '--ports', 'auto', '--reports', reports, '--quiet']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/0 failed/);

    const results = readResults(reports);
    expect(results.scenarios.map((s) => [s.id, s.status])).toEqual([
      ['custom-endpoint-jwt', 'FINISHED'],
      ['ide-controller-jwt', 'FINISHED'],
      ['oauth-pkce-webide', 'FINISHED'],
      ['oauth21-dcr', 'FINISHED'],
      ['ide-client-oauth', 'FINISHED'],
      ['sm-relay', 'FINISHED'],
      ['audience-migration', 'FINISHED'],
      ['jwks-lifecycle', 'FINISHED'],
      ['scoped-graphql', 'FINISHED'],
    ]);
    const checks = results.scenarios.flatMap((s) => s.checks);
    const notPassed = checks.filter((c) => c.status !== 'PASSED').map((c) => `${c.id}: ${c.status}`);
    expect(notPassed).toEqual([]);
    expect(checks.length).toBeGreaterThanOrEqual(100);
    expect(results.exitCode).toBe(0);
    expect(results.targets.every((t) => t.embedded)).toBe(true);

    const junit = readFileSync(join(reports, 'junit.xml'), 'utf8');
    expect(junit.match(/<testcase /g)?.length).toBe(checks.length);
    expect(junit.match(/<testsuite /g)?.length).toBe(results.scenarios.length);
    expect(junit).not.toContain('<failure');
    const html = readFileSync(join(reports, 'report.html'), 'utf8');
    expect(html.match(/<svg/g)?.length).toBeGreaterThanOrEqual(3);
    for (const id of ['custom-endpoint-jwt', 'ide-controller-jwt', 'oauth-pkce-webide', 'oauth21-dcr', 'ide-client-oauth', 'sm-relay', 'audience-migration', 'jwks-lifecycle', 'scoped-graphql']) expect(html).toContain(id);
    // The report shows what a token said, never a usable token or a credential.
    expect(html).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]{20,}/);
    const { user, personal_access_tokens: saasPats } = demoCredentials('gitlab-saas');
    const { personal_access_tokens: smPats, service_access_token: stored } = demoCredentials('gitlab-sm');
    for (const secret of [user!.password, stored!, ...Object.values(saasPats!), ...Object.values(smPats!)]) expect(html).not.toContain(secret);
  }, WHOLE_SUITE_MS);

  it('exits 2 with a clear message for an unknown scenario or role', async () => {
    const scenario = await runCli(['run', '--scenario', 'no-such-scenario', '--reports', tempDir('usage')]);
    expect(scenario.code).toBe(2);
    expect(scenario.stderr).toMatch(/unknown scenario 'no-such-scenario'.*custom-endpoint-jwt/s);
    const role = await runCli(['run', '--target', 'gitlab-dotcom=http://127.0.0.1:1']);
    expect(role.code).toBe(2);
    expect(role.stderr).toMatch(/gitlab-dotcom/);
  }, 30_000);
});

describe('certifying an external gateway with --target', () => {
  let gateway: RunningStack;
  let saasPort: number;
  let modelPort: number;

  beforeAll(async () => {
    [saasPort, modelPort] = [await freePort(), await freePort()];
    // Started before the harness's issuer exists, as a team's gateway would be.
    gateway = await startEmbedded(['ai-gateway'], {
      profile: {
        roles: {
          'gitlab-saas': { url: `http://127.0.0.1:${saasPort}` },
          'fake-model': { url: `http://127.0.0.1:${modelPort}` },
          'ai-gateway': { trusted_issuers: ['gitlab-saas'] },
        },
      },
    });
  }, 30_000);
  afterAll(() => gateway?.stop());

  it('runs the whole suite against it and passes', async () => {
    const reports = tempDir('external');
    const profile = join(reports, 'profile.yaml');
    writeFileSync(profile, `name: our-gateway-as-external\nroles:\n  gitlab-saas: { port: ${saasPort} }\n  fake-model: { port: ${modelPort} }\n`);
    const { code, stdout, stderr } = await runCli([
      'run',
      '--profile', profile,
      '--target', `ai-gateway=${roleUrl(gateway, 'ai-gateway')}`,
      '--ports', 'auto',
      '--reports', reports,
      '--quiet',
    ]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const results = readResults(reports);
    expect(results.targets).toEqual(expect.arrayContaining([{ role: 'ai-gateway', url: roleUrl(gateway, 'ai-gateway'), embedded: false }]));
    const checks = results.scenarios[0]!.checks;
    expect(checks.filter((c) => c.status === 'FAILED')).toEqual([]);
    expect(stdout).toMatch(/0 failed/);
  }, WHOLE_SUITE_MS);
});
