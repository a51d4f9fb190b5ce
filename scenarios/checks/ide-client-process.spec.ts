/**
 * How the runner runs an IDE client under test: the protocol's environment and nothing of the
 * runner's secrets, the action as the last arguments (argv and shell forms), tokens masked in
 * what it printed, and a client that outlives its timeout stopped and reported as such.
 */
import { IdeClientUnderTest } from './ide-client-process.js';

const deployment = { issuer: 'http://127.0.0.1:9', resourceUrl: 'http://127.0.0.1:9/api/v4/user' };
const profile = (command: string | string[], timeoutMs = 10_000) => ({ command, env: { EXTRA: 'from-the-profile' }, timeoutMs, cwd: process.cwd() });

let client: IdeClientUnderTest | undefined;
afterEach(() => client?.dispose());

it("gives the client the protocol's variables and the profile's env, never the runner's secrets", async () => {
  process.env.HARNESS_CONTROL_TOKEN = 'runner-secret-control-token';
  try {
    client = await IdeClientUnderTest.install(profile(['/bin/sh', '-c', 'env']), deployment);
    const out = await client.run('sign-in');
    expect(out.exitCode).toBe(0);
    expect(out.stdout).toContain(`IDE_CLIENT_ISSUER=${deployment.issuer}`);
    expect(out.stdout).toContain(`IDE_CLIENT_RESOURCE_URL=${deployment.resourceUrl}`);
    expect(out.stdout).toContain(`IDE_CLIENT_HOME=${client.home}`);
    expect(out.stdout).toMatch(/^BROWSER=\//m);
    expect(out.stdout).toContain('EXTRA=from-the-profile');
    expect(out.stdout).toMatch(/^PATH=/m);
    expect(out.stdout).not.toContain('runner-secret-control-token');
  } finally {
    delete process.env.HARNESS_CONTROL_TOKEN;
  }
});

it('appends the action and its arguments, to an argv command and to a shell line alike', async () => {
  client = await IdeClientUnderTest.install(profile(['/bin/echo', 'client']), deployment);
  expect((await client.run('call', ['4'])).stdout).toBe('client call 4');
  await client.dispose();
  client = await IdeClientUnderTest.install(profile('echo "shell:"'), deployment);
  expect((await client.run('sign-out')).stdout).toBe('shell: sign-out');
});

it('masks the tokens it is told of in what the client printed', async () => {
  client = await IdeClientUnderTest.install(profile(['/bin/sh', '-c', 'echo "token at-secret-1 and at-secret-1"; echo "rt-secret-2" >&2']), deployment);
  const out = await client.run('sign-in', [], ['at-secret-1', 'rt-secret-2']);
  expect(out.stdout).toBe('token [REDACTED] and [REDACTED]');
  expect(out.stderr).toBe('[REDACTED]');
});

it('stops a client that outlives its timeout and says so', async () => {
  client = await IdeClientUnderTest.install(profile(['/bin/sh', '-c', 'sleep 30'], 1_000), deployment);
  const out = await client.run('call');
  expect(out).toMatchObject({ timedOut: true, exitCode: null });
  expect(out.durationMs).toBeLessThan(10_000);
});

it('reports a command that cannot start, without throwing', async () => {
  client = await IdeClientUnderTest.install(profile(['/no/such/ide-client']), deployment);
  const out = await client.run('sign-in');
  expect(out.exitCode).toBeNull();
  expect(out.stderr).toMatch(/cannot start \/no\/such\/ide-client/);
});
