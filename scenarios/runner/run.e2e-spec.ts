import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { convert } from 'xmlbuilder2';
import { UsageError } from './errors.js';
import { checkPortsPlan, runConformance, type RunConformanceOptions } from './run.js';
import { CheckFailure } from './signals.js';
import { clauseIds, isAlive, Sink, startServer, tempDir, testProfile, tinyAppSpec, type TestServer } from './test/helpers.js';
import { wellFormednessProblems } from './test/xml-wellformed.js';
import type { RunResult, ScenarioDefinition } from './types.js';

const [CLAUSE] = clauseIds(1) as [string];
const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMDAxIn0.U0lHTkFUVVJFLVNFQ1JFVA';

/** A fake suite against an external "gateway": one MUST pass, one MUST fail, one SHOULD warn, one skip. */
const gatewaySuite: ScenarioDefinition = {
  id: 'fake-gateway',
  title: 'A fake suite against a tiny HTTP server',
  seeds: ['000'],
  roles: ['ai-gateway'],
  async run(ctx) {
    const gw = ctx.http('ide', 'ai-gateway');
    await ctx.check({ id: 'answers-health', title: 'The gateway answers its health check', severity: 'MUST', clauses: [CLAUSE] }, async () => {
      const res = await gw.request({ method: 'GET', path: '/monitoring/healthz', headers: { Authorization: `Bearer ${JWT}` } });
      if (res.status !== 200) throw new CheckFailure({ message: `expected 200, got ${res.status}`, exchangeId: res.exchangeId });
    });
    await ctx.check({ id: 'rejects-missing-token', title: 'No token -> 401', severity: 'MUST', clauses: [CLAUSE] }, async () => {
      const res = await gw.request({ method: 'POST', path: '/v2/code/completions', json: {} });
      if (res.status !== 401) {
        throw new CheckFailure({ message: `expected HTTP 401 from ${res.request}, got ${res.status}`, expected: { status: 401 }, actual: { status: res.status, body: res.json }, exchangeId: res.exchangeId });
      }
    });
    await ctx.check({ id: 'sets-cache-header', title: 'SHOULD header', severity: 'SHOULD', clauses: [CLAUSE] }, async () => {
      throw new CheckFailure({ message: 'no Cache-Control' });
    });
    await ctx.check({ id: 'needs-admin', title: 'Needs an admin token', severity: 'MUST', clauses: [CLAUSE] }, async (scope) => {
      if (!ctx.credentials('gitlab-saas').personalAccessTokens.admin) scope.skip('no admin token for gitlab-saas in the profile');
    });
  },
};

describe('runConformance', () => {
  let gateway: TestServer;
  let reportsDir: string;

  beforeAll(async () => {
    gateway = await startServer((req, res) => {
      res.writeHead(req.url === '/monitoring/healthz' ? 200 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ choices: [{ text: '<script>alert(1)</script>' }] }));
    });
  });
  afterAll(() => gateway.close());
  beforeEach(() => {
    reportsDir = tempDir('aah-run-');
  });

  const options = (more: Partial<RunConformanceOptions> = {}): RunConformanceOptions => ({
    scenarios: [gatewaySuite],
    profile: testProfile({ roles: { 'ai-gateway': { url: gateway.url } } }),
    reportsDir,
    ports: 'auto',
    output: new Sink(),
    handleSignals: false,
    ...more,
  });

  const readResults = () => JSON.parse(readFileSync(join(reportsDir, 'results.json'), 'utf8')) as RunResult;

  it('runs a suite against an external target, exits 1 on a failed MUST check and writes the three reports', async () => {
    const output = new Sink();
    const result = await runConformance(options({ output }));
    expect(result.exitCode).toBe(1);
    expect(result.summary).toEqual({ passed: 1, failed: 1, warnings: 1, skipped: 1, blocked: 0, total: 4 });
    expect(result.targets).toEqual([{ role: 'ai-gateway', url: gateway.url, embedded: false }]);
    expect(result.scenarios[0]!.checks.map((c) => c.status)).toEqual(['PASSED', 'FAILED', 'WARNING', 'SKIPPED']);

    expect(readResults()).toEqual(JSON.parse(JSON.stringify(result)));
    const results = readFileSync(join(reportsDir, 'results.json'), 'utf8');
    expect(results).not.toContain('U0lHTkFUVVJFLVNFQ1JFVA');
    expect(results).toContain('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMDAxIn0.[REDACTED]');

    const junit = readFileSync(join(reportsDir, 'junit.xml'), 'utf8');
    expect(wellFormednessProblems(junit)).toEqual([]);
    const suites = (convert(junit, { format: 'object' }) as { testsuites: Record<string, string> }).testsuites;
    expect(suites).toMatchObject({ '@tests': '4', '@failures': '1', '@skipped': '1', '@errors': '0' });

    const html = readFileSync(join(reportsDir, 'report.html'), 'utf8');
    expect(html).toContain('rejects-missing-token');
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('data-exchange="x0002"');

    expect(output.text).toContain('FAILED  MUST   rejects-missing-token: No token -> 401');
    expect(output.text).toContain(`where:    POST ${gateway.url}/v2/code/completions -> 200`);
    expect(output.text).toContain('FAIL: 1 scenario(s), 4 checks: 1 passed, 1 failed, 1 warnings, 1 skipped');
    expect(output.text).toContain(join(reportsDir, 'junit.xml'));
  });

  it('exits 0 when the only failure is a known deviation of the expectations file, and notes stale entries', async () => {
    const file = join(reportsDir, 'expectations.yaml');
    writeFileSync(
      file,
      [
        '- scenario: fake-gateway',
        '  check: rejects-missing-token',
        '  status: FAILED',
        '  reason: "the tiny server has no auth (issue #1)"',
        '- scenario: fake-gateway',
        '  check: renamed-check',
        '  status: FAILED',
        '  reason: gone',
      ].join('\n'),
    );
    const result = await runConformance(options({ expectationsFile: file }));
    expect(result.exitCode).toBe(0);
    const check = result.scenarios[0]!.checks.find((c) => c.id === 'rejects-missing-token')!;
    expect(check.status).toBe('WARNING');
    expect(check.expectation).toEqual({ expectedStatus: 'FAILED', reason: 'the tiny server has no auth (issue #1)' });
    expect(result.notes).toEqual([expect.objectContaining({ level: 'WARNING', check: 'renamed-check' })]);
  });

  it('starts the embedded roles a scenario needs, gives them a control token, reads their observed traffic and stops them', async () => {
    const dir = tempDir('aah-apps-');
    const suite: ScenarioDefinition = {
      id: 'embedded-model',
      title: 'Talks to an embedded (tiny) fake model',
      seeds: [],
      roles: ['fake-model'],
      async run(ctx) {
        const model = ctx.http('harness', 'fake-model');
        await ctx.check({ id: 'triggers-upstream-call', title: 'GET /trigger', severity: 'MUST', clauses: [CLAUSE] }, async () => {
          const res = await model.request({ method: 'GET', path: '/trigger' });
          if (res.status !== 200) throw new CheckFailure({ message: `got ${res.status}` });
        });
        await ctx.check({ id: 'reaches-control-api', title: 'The control API answers with the run token', severity: 'MUST', clauses: [CLAUSE] }, async (scope) => {
          const control = ctx.target('fake-model').control ?? scope.skip('no control API');
          await control.call('GET', '/-/harness/requests');
        });
        await ctx.check({ id: 'reads-pid', title: 'pid', severity: 'MUST', clauses: [CLAUSE] }, async () => {
          const res = await model.request({ method: 'GET', path: '/pid' });
          pid = (res.json as { pid: number }).pid;
        });
      },
    };
    let pid = 0;
    const result = await runConformance(options({ scenarios: [suite], launcher: { 'fake-model': tinyAppSpec(dir) } }));
    expect(result.exitCode).toBe(0);
    expect(result.targets).toEqual([
      { role: 'ai-gateway', url: gateway.url, embedded: false },
      { role: 'fake-model', url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), embedded: true },
    ]);
    const exchanges = result.scenarios[0]!.exchanges;
    const observed = exchanges.filter((x) => x.kind === 'observed');
    expect(observed.map((x) => [x.from, x.to, x.method, new URL(x.url).pathname])).toEqual([['ai-gateway', 'fake-model', 'GET', '/upstream']]);
    expect(exchanges.filter((x) => x.kind === 'control').length).toBeGreaterThanOrEqual(2);
    expect(existsSync(join(reportsDir, 'logs', 'fake-model.log'))).toBe(true);
    expect(pid).toBeGreaterThan(0);
    expect(isAlive(pid)).toBe(false);
  });

  it('ends the running scenario as INTERRUPTED on an abort (as on SIGINT), skips the rest, stops the stack and exits 1', async () => {
    const dir = tempDir('aah-apps-');
    const abort = new AbortController();
    let pid = 0;
    const hanging: ScenarioDefinition = {
      id: 'hangs',
      title: 'Hangs until interrupted',
      seeds: [],
      roles: ['fake-model'],
      async run(ctx) {
        await ctx.check({ id: 'reads-pid', title: 'pid', severity: 'MUST', clauses: [CLAUSE] }, async () => {
          pid = ((await ctx.http('harness', 'fake-model').request({ method: 'GET', path: '/pid' })).json as { pid: number }).pid;
        });
        abort.abort();
        await new Promise(() => undefined);
      },
    };
    const never: ScenarioDefinition = { ...gatewaySuite, id: 'never-reached' };
    const result = await runConformance(options({ scenarios: [hanging, never], launcher: { 'fake-model': tinyAppSpec(dir) }, signal: abort.signal }));
    expect(result.exitCode).toBe(1);
    expect(result.scenarios.map((s) => [s.id, s.status, s.error])).toEqual([
      ['hangs', 'INTERRUPTED', 'interrupted by abort signal'],
      ['never-reached', 'INTERRUPTED', 'not run: the run was interrupted by abort signal'],
    ]);
    expect(result.scenarios[0]!.checks.map((c) => c.status)).toEqual(['PASSED']);
    expect(isAlive(pid)).toBe(false);
    expect(readResults().exitCode).toBe(1);
  });

  it('marks a scenario that throws outside a check INTERRUPTED with the reason and exits 1', async () => {
    const broken: ScenarioDefinition = {
      ...gatewaySuite,
      id: 'broken',
      async run() {
        throw new Error('state.discovery is undefined');
      },
    };
    const result = await runConformance(options({ scenarios: [broken, gatewaySuite], selected: ['broken'] }));
    expect(result.scenarios.map((s) => [s.id, s.status, s.error])).toEqual([['broken', 'INTERRUPTED', 'state.discovery is undefined']]);
    expect(result.exitCode).toBe(1);
  });

  it('rejects an unknown scenario id with a usage error listing the known ones', async () => {
    await expect(runConformance(options({ selected: ['fake-gatewya'] }))).rejects.toThrow(UsageError);
    await expect(runConformance(options({ selected: ['fake-gatewya'] }))).rejects.toThrow(/unknown scenario 'fake-gatewya'; known scenarios: fake-gateway/);
  });

  it('ends the run with one clear error when a target stops answering, and runs no later scenario', async () => {
    // Accepts connections, never answers: every request times out.
    const silent = await startServer(() => undefined);
    try {
      const manyChecks: ScenarioDefinition = {
        ...gatewaySuite,
        id: 'many-checks',
        async run(ctx) {
          for (let i = 0; i < 10; i++) {
            await ctx.check({ id: `check-${i}`, title: 'asks the gateway', severity: 'MUST', clauses: [CLAUSE] }, async () => {
              await ctx.http('ide', 'ai-gateway').request({ method: 'GET', path: '/monitoring/ready' });
            });
          }
        },
      };
      const profile = testProfile({ roles: { 'ai-gateway': { url: silent.url } }, options: { timeout_ms: 200 } });
      const output = new Sink();
      const result = await runConformance(options({ scenarios: [manyChecks, { ...gatewaySuite, id: 'after' }], profile, output }));
      expect(result.exitCode).toBe(1);
      expect(result.scenarios[0]!.checks.length).toBeLessThanOrEqual(4);
      expect(result.scenarios.map((s) => [s.id, s.status])).toEqual([
        ['many-checks', 'INTERRUPTED'],
        ['after', 'INTERRUPTED'],
      ]);
      expect(result.scenarios[0]!.error).toMatch(/^interrupted by ai-gateway stopped answering \(3 requests in a row got no response; last: GET .* timed out after 200 ms\)/);
      // Said once when it happens, once on the scenario it ended; not once per remaining check.
      expect(output.text.match(/stopped answering/g)).toHaveLength(2);
      expect(output.text).not.toMatch(/check-[4-9]/);
    } finally {
      await silent.close();
    }
  }, 30_000);

  it('refuses --ports auto with an external gateway unless the issuer it trusts has a pinned port', async () => {
    const external = { 'ai-gateway': { url: gateway.url } };
    const needsIssuer: ScenarioDefinition = { ...gatewaySuite, roles: ['ai-gateway', 'gitlab-saas'] };
    await expect(runConformance(options({ scenarios: [needsIssuer], profile: testProfile({ roles: external }) }))).rejects.toThrow(
      /--ports auto would start the embedded gitlab-saas on a random port, but the external ai-gateway .* must already know gitlab-saas's URL .*port: 3001/,
    );
    // Pinned: accepted (the run starts the issuer on that port; here no scenario needs it started).
    expect(() => checkPortsPlan(testProfile({ roles: { ...external, 'gitlab-saas': { port: 3101 } } }), ['gitlab-saas'], 'auto')).not.toThrow();
    expect(() => checkPortsPlan(testProfile({ roles: external }), ['gitlab-saas'], 'default')).not.toThrow();
  });
});
