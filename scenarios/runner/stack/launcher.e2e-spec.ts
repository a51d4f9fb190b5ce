import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { StackStartError } from '../errors.js';
import { isAlive, tempDir, testProfile, tinyAppSpec } from '../test/helpers.js';
import { startStack, type RunningStack } from './launcher.js';
import { freePort } from './ports.js';

describe('embedded stack launcher', () => {
  let dir: string;
  let stacks: RunningStack[];

  beforeEach(() => {
    dir = tempDir('aah-stack-');
    stacks = [];
  });
  afterEach(async () => {
    await Promise.all(stacks.map((s) => s.stop()));
  });

  async function start(options: Partial<Parameters<typeof startStack>[0]> & Pick<Parameters<typeof startStack>[0], 'roles' | 'table'>) {
    const stack = await startStack({ profile: testProfile(), ports: 'auto', logsDir: join(dir, 'logs'), healthTimeoutMs: 5000, ...options });
    stacks.push(stack);
    return stack;
  }

  it('starts roles in dependency order on free ports, waits for health and passes URLs, control token and log level', async () => {
    const progress: string[] = [];
    const slow = tinyAppSpec(dir, { TINY_MODE: 'slow' });
    const stack = await start({
      roles: ['ai-gateway', 'fake-model', 'gitlab-saas'],
      table: {
        'fake-model': slow,
        'gitlab-saas': slow,
        'ai-gateway': { ...slow, env: (ctx) => ({ TINY_MODE: 'slow', AIGW_TRUSTED_ISSUERS: ctx.urls['gitlab-saas']!, AIGW_MODEL_URL: ctx.urls['fake-model']! }) },
      },
      onProgress: (m) => progress.push(m),
    });
    expect(stack.roles.map((r) => r.role)).toEqual(['fake-model', 'gitlab-saas', 'ai-gateway']);
    expect(progress.map((p) => p.split(' ')[1])).toEqual(['fake-model', 'gitlab-saas', 'ai-gateway']);
    expect(stack.controlToken).toMatch(/^[0-9a-f]{64}$/);
    for (const r of stack.roles) {
      const res = await fetch(`${r.url}/healthz`);
      expect(res.status).toBe(200);
    }
    const gatewayLog = readFileSync(join(dir, 'logs', 'ai-gateway.log'), 'utf8');
    const startLine = JSON.parse(gatewayLog.split('\n')[0]!) as { env: Record<string, unknown> };
    expect(startLine.env).toEqual({
      AIGW_TRUSTED_ISSUERS: stack.url('gitlab-saas'),
      AIGW_MODEL_URL: stack.url('fake-model'),
      LOG_LEVEL: 'info',
      controlTokenLength: 64,
    });
  });

  it('reports a role that exits before it is healthy with its exit code and the last 20 lines of its log', async () => {
    const error = await start({ roles: ['fake-model'], table: { 'fake-model': tinyAppSpec(dir, { TINY_MODE: 'exit' }) } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StackStartError);
    const message = (error as Error).message;
    expect(message).toContain('the embedded fake-model exited (exit code 7) before it became healthy');
    expect(message).toContain(join(dir, 'logs', 'fake-model.log'));
    expect(message).toContain('| line 30');
    expect(message).toContain('| line 11');
    expect(message).not.toContain('| line 10\n');
  });

  it('gives up on a role that never becomes healthy, and stops it', async () => {
    const error = await start({
      roles: ['fake-model'],
      table: { 'fake-model': tinyAppSpec(dir, { TINY_MODE: 'unhealthy' }) },
      healthTimeoutMs: 600,
    }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/the embedded fake-model did not answer GET http:\/\/127\.0\.0\.1:\d+\/healthz with 2xx within 1 s/);
    const pid = Number(/"pid":(\d+)/.exec(readFileSync(join(dir, 'logs', 'fake-model.log'), 'utf8'))![1]);
    expect(isAlive(pid)).toBe(false);
  });

  it('refuses a port in use with the role, the port and the ways out, starting nothing', async () => {
    const port = await freePort();
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
    try {
      const profile = testProfile({ roles: { 'gitlab-saas': { port } } });
      const error = await start({ roles: ['fake-model', 'gitlab-saas'], profile, ports: 'default', table: { 'fake-model': tinyAppSpec(dir), 'gitlab-saas': tinyAppSpec(dir) } }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StackStartError);
      const message = (error as Error).message;
      expect(message).toContain(`cannot start the embedded gitlab-saas: port ${port} on 127.0.0.1 is already in use`);
      expect(message).toContain('--ports auto');
      expect(message).toContain(`--target gitlab-saas=http://127.0.0.1:${port}`);
      expect(message).toContain('stop the process');
      expect(existsSync(join(dir, 'logs', 'fake-model.log'))).toBe(false);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('says to build first when the app has not been compiled', async () => {
    const error = await start({ roles: ['fake-model'], table: { 'fake-model': { ...tinyAppSpec(dir), script: join(dir, 'dist', 'nope.js') } } }).catch((e: unknown) => e);
    expect((error as Error).message).toContain('run `npm run build` first');
  });

  it('stops every child: SIGTERM, then SIGKILL for one that ignores it', async () => {
    const stack = await start({
      roles: ['fake-model', 'gitlab-saas'],
      table: { 'fake-model': tinyAppSpec(dir), 'gitlab-saas': tinyAppSpec(dir, { TINY_MODE: 'ignore-term' }) },
      stopGraceMs: 300,
    });
    const pids = stack.roles.map((r) => r.pid);
    expect(pids.every(isAlive)).toBe(true);
    await stack.stop();
    expect(pids.map(isAlive)).toEqual([false, false]);
    expect(readFileSync(join(dir, 'logs', 'gitlab-saas.log'), 'utf8')).toContain('ignoring SIGTERM');
  });

  it('tells a listener when a healthy role dies on its own', async () => {
    const stack = await start({ roles: ['fake-model'], table: { 'fake-model': tinyAppSpec(dir) } });
    const died = new Promise<[string, number | null, string | null]>((r) => stack.onUnexpectedExit((role, code, signal) => r([role, code, signal])));
    process.kill(stack.roles[0]!.pid, 'SIGKILL');
    await expect(died).resolves.toEqual(['fake-model', null, 'SIGKILL']);
  });
});
