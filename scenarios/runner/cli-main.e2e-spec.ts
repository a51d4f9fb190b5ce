import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { runCli, type CliDeps } from './cli-main.js';
import { CheckFailure } from './signals.js';
import { freePort } from './stack/ports.js';
import { clauseIds, isAlive, Sink, startServer, tempDir, tinyAppSpec, type TestServer } from './test/helpers.js';
import type { ScenarioDefinition } from './types.js';

const [CLAUSE] = clauseIds(1) as [string];

const suite = (expectStatus: number): ScenarioDefinition => ({
  id: 'model-health',
  title: 'The model answers its health check',
  seeds: ['000'],
  roles: ['fake-model'],
  async run(ctx) {
    await ctx.check({ id: 'answers-healthz', title: `GET /healthz -> ${expectStatus}`, severity: 'MUST', clauses: [CLAUSE] }, async () => {
      const res = await ctx.http('harness', 'fake-model').request({ method: 'GET', path: '/healthz' });
      if (res.status !== expectStatus) throw new CheckFailure({ message: `expected ${expectStatus}, got ${res.status}`, exchangeId: res.exchangeId });
    });
  },
});

describe('ai-auth-harness CLI', () => {
  let model: TestServer;
  let dir: string;
  let stdout: Sink;
  let stderr: Sink;

  beforeAll(async () => {
    model = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"ok"}');
    });
  });
  afterAll(() => model.close());
  beforeEach(() => {
    dir = tempDir('aah-cli-');
    stdout = new Sink();
    stderr = new Sink();
  });

  const deps = (scenarios: ScenarioDefinition[] = [suite(200)], more: Partial<CliDeps> = {}): CliDeps => ({
    loadScenarios: async () => scenarios,
    stdout,
    stderr,
    ...more,
  });

  it('prints help and exits 0', async () => {
    expect(await runCli(['--help'], deps())).toBe(0);
    expect(stdout.text).toContain('Usage: ai-auth-harness [command] [options]');
    expect(stdout.text).toContain('--target ROLE=URL');
  });

  it('lists scenarios with id, title, seeds and roles', async () => {
    expect(await runCli(['list'], deps())).toBe(0);
    expect(stdout.text).toContain('model-health  The model answers its health check');
    expect(stdout.text).toContain('seeds: 000  roles: fake-model');
  });

  it.each([
    [['--nope'], "Unknown option '--nope'"],
    [['frobnicate'], "unknown command 'frobnicate'"],
    [['--ports', 'random'], "--ports random: expected 'default' or 'auto'"],
    [['--target', 'gateway=http://127.0.0.1:1'], "unknown role 'gateway'"],
    [['--target', 'ai-gateway'], 'expected ROLE=URL'],
    [['--scenario', 'nope', '--target', 'fake-model=http://127.0.0.1:1'], "unknown scenario 'nope'; known scenarios: model-health"],
    [['stack', '--scenario', 'x'], '--scenario does not apply to `stack`'],
    [['list', '--profile', 'p.yaml'], '--profile does not apply to `list`'],
    [['--profile', '/does/not/exist.yaml'], 'profile /does/not/exist.yaml does not exist'],
  ])('exits 2 with a message saying what is wrong for %j', async (argv, message) => {
    expect(await runCli(argv, deps())).toBe(2);
    expect(stderr.text).toContain(message);
  });

  it('exits 2 on an invalid profile, naming the file and the pointer', async () => {
    const profile = join(dir, 'p.yaml');
    writeFileSync(profile, 'roles:\n  fake-model:\n    url: 127.0.0.1:5053\n');
    expect(await runCli(['--profile', profile], deps())).toBe(2);
    expect(stderr.text).toContain(profile);
    expect(stderr.text).toContain('/roles/fake-model/url: must be an http:// or https:// URL');
  });

  it('runs against --target and exits 0 when every MUST check passes, writing reports to --reports', async () => {
    const reports = join(dir, 'out');
    expect(await runCli(['run', '--target', `fake-model=${model.url}`, '--reports', reports, '--quiet'], deps())).toBe(0);
    expect(existsSync(join(reports, 'results.json'))).toBe(true);
    expect(existsSync(join(reports, 'junit.xml'))).toBe(true);
    expect(existsSync(join(reports, 'report.html'))).toBe(true);
    expect(stdout.text).not.toContain('PASSED  MUST');
    expect(stdout.text).toContain('PASS: 1 scenario(s), 1 checks: 1 passed');
  });

  it('exits 1 when a MUST check fails', async () => {
    expect(await runCli(['--target', `fake-model=${model.url}`, '--reports', dir, '--scenario', 'model-health'], deps([suite(204)]))).toBe(1);
    expect(stdout.text).toContain('FAILED  MUST   answers-healthz');
    expect(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')).exitCode).toBe(1);
  });

  it('exits 3 when the embedded stack cannot start (port in use)', async () => {
    const port = await freePort();
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
    try {
      const profile = join(dir, 'p.yaml');
      writeFileSync(profile, `roles:\n  fake-model:\n    port: ${port}\n`);
      expect(await runCli(['--profile', profile, '--reports', dir], deps([suite(200)], { launcher: { 'fake-model': tinyAppSpec(dir) } }))).toBe(3);
      expect(stderr.text).toContain(`port ${port} on 127.0.0.1 is already in use`);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('stack: starts the roles not given as targets, prints URLs, credentials, control token and a ready profile, then stops', async () => {
    let pids: number[] = [];
    const code = await runCli(
      ['stack', '--ports', 'auto', '--target', `ai-gateway=${model.url}`, '--target', `gitlab-sm=${model.url}`, '--reports', dir],
      deps([], {
        launcher: { 'fake-model': tinyAppSpec(dir), 'gitlab-saas': tinyAppSpec(dir) },
        waitForStop: async (stack) => {
          pids = stack.roles.map((r) => r.pid);
          return 'stop';
        },
      }),
    );
    expect(code).toBe(0);
    expect(pids).toHaveLength(2);
    expect(pids.some(isAlive)).toBe(false);
    const out = stdout.text;
    expect(out).toMatch(/gitlab-saas +http:\/\/127\.0\.0\.1:\d+\n/);
    expect(out).toContain(`ai-gateway   ${model.url}  (external, not started)`);
    expect(out).toContain('user: saas-developer / duo-demo-password');
    expect(out).toContain('PAT ai_features');
    const token = /control token \(header X-Harness-Control-Token\): ([0-9a-f]{64})/.exec(out)![1];
    const yaml = out.slice(out.indexOf('  name: running-stack'), out.indexOf('Ctrl-C')).replace(/^ {2}/gm, '');
    const profile = parseYaml(yaml) as { roles: Record<string, { url: string; control_token: string }> };
    expect(Object.keys(profile.roles)).toEqual(['gitlab-saas', 'fake-model']);
    expect(profile.roles['fake-model']!.control_token).toBe(token);
  });
});
