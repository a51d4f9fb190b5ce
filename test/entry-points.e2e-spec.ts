/**
 * The compiled entry points (dist/apps/<app>/src/main.js) as a user and the runner run them:
 * each app starts from the flags the runner's launcher gives it, says where it listens in one
 * `listening` line, answers its health route and ends cleanly on SIGTERM; a bad configuration
 * exits 78 (EX_CONFIG) naming the setting; --help lists every setting and exits 0.
 */
import { readFileSync } from 'node:fs';
import { PATH, ROLES, type Role } from '#contracts';
import { runToExit, startEmbedded } from './support.js';

/** Where a started role's dependencies point: nothing listens on port 9 (discard). */
const NOWHERE = 'http://127.0.0.1:9';
const HEALTH: Record<Role, string> = { 'gitlab-saas': PATH.GITLAB_HEALTH, 'gitlab-sm': PATH.GITLAB_HEALTH, 'ai-gateway': PATH.GATEWAY_HEALTHZ, 'fake-model': PATH.MODEL_HEALTHZ };
const MAIN = { gitlab: 'apps/gitlab/src/main.js', gateway: 'apps/ai-gateway/src/main.js', model: 'apps/fake-model/src/main.js' };

describe('an app started by the launcher', () => {
  it.each([...ROLES])('%s logs where it listens, answers its health route and ends cleanly on SIGTERM', async (role) => {
    const others = Object.fromEntries(ROLES.filter((r) => r !== role).map((r) => [r, { url: NOWHERE }]));
    const stack = await startEmbedded([role], { profile: { roles: others } });
    try {
      const [started] = stack.roles;
      const log = () => readFileSync(started!.logFile, 'utf8').split('\n').filter(Boolean);
      const listening = log().filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg?: string; url?: string; issuer?: string; mode?: string }).find((l) => l.msg === 'listening');
      expect(listening?.url).toBe(started!.url);
      if (role.startsWith('gitlab-')) expect(listening).toMatchObject({ issuer: started!.url, mode: role === 'gitlab-saas' ? 'saas' : 'self-managed' });
      expect((await fetch(`${started!.url}${HEALTH[role]}`)).status).toBe(200);

      const exit = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => stack.onUnexpectedExit((_role, code, signal) => resolve([code, signal])));
      process.kill(started!.pid, 'SIGTERM');
      // Nest closes the app, then re-raises the signal: a clean stop ends by SIGTERM (or exit 0).
      const [code, signal] = await exit;
      expect(code === 0 || signal === 'SIGTERM').toBe(true);
      // stdout and stderr share the log: anything but JSON log lines (a stack trace) is an error.
      expect(log().filter((line) => !line.startsWith('{'))).toEqual([]);
    } finally {
      await stack.stop();
    }
  });
});

describe('a bad configuration', () => {
  it.each([
    ['gateway without AIGW_TRUSTED_ISSUERS', MAIN.gateway, ['--port', '0', '--model-url', NOWHERE], {}, /AIGW_TRUSTED_ISSUERS/],
    ['gateway with a forbidden algorithm', MAIN.gateway, ['--port', '0'], { AIGW_TRUSTED_ISSUERS: NOWHERE, AIGW_MODEL_URL: NOWHERE, AIGW_ALGORITHMS: 'HS256' }, /AIGW_ALGORITHMS: 'HS256' is not allowed/],
    ['fake model with a bad latency', MAIN.model, ['--latency-ms', 'slow'], {}, /FAKE_MODEL_LATENCY_MS/],
    ['gitlab with a bad port', MAIN.gitlab, ['--port', 'eighty'], {}, /PORT:/],
    ['self-managed gitlab without SAAS_URL', MAIN.gitlab, ['--mode', 'self-managed', '--port', '0'], {}, /SAAS_URL: is required when GITLAB_MODE is self-managed/],
    ['gitlab with an unknown flag', MAIN.gitlab, ['--colour', 'blue'], {}, /--mode/],
  ] as Array<[string, string, string[], Record<string, string>, RegExp]>)('stops a %s with exit 78 naming it', async (_name, main, args, env, named) => {
    const { code, stderr } = await runToExit(main, args, env);
    expect(code).toBe(78);
    expect(stderr).toMatch(named);
  });
});

describe('--help', () => {
  it.each([
    [MAIN.gateway, [/^ai-gateway: /, /AIGW_TRUSTED_ISSUERS, --trusted-issuers +\(default: \(required\)\)/, /AIGW_JWKS_COLD_RETRY_MS, --jwks-cold-retry-ms +\(default: 1000\)\n +an issuer with no usable key/, /AIGW_JWKS_MIN_REFETCH_SECONDS: removed; use/]],
    [MAIN.model, [/^fake-model: /, /FAKE_MODEL_LATENCY_MS, --latency-ms +\(default: 0\)\n +delay added to every completion/, /PORT, --port +\(default: 5053\)/]],
    [
      MAIN.gitlab,
      [
        /^gitlab: the emulated GitLab/,
        ...['GITLAB_MODE, --mode', 'PORT, --port', 'HOST, --host', 'GITLAB_URL, --url', 'GITLAB_SEED_FILE, --seed', 'AI_TOKEN_SHAPE, --ai-token-shape', 'SAAS_URL, --saas-url', 'SAAS_TIMEOUT_MS, --saas-timeout-ms', 'LOG_LEVEL, --log-level', 'HEADERS_TIMEOUT_MS, --headers-timeout-ms', 'REQUEST_TIMEOUT_MS, --request-timeout-ms'].map((names) => new RegExp(`  ${names} `)),
        /GITLAB_MODE, --mode +\(default: saas\)/,
        /PORT, --port +\(default: 3001 \(saas\), 3000 \(self-managed\)\)/,
        /SAAS_TIMEOUT_MS, --saas-timeout-ms +\(default: 10000\)\n +bound on one relay to SaaS/,
        // Secrets have a variable only: a flag would show them in `ps`.
        /\n  HARNESS_CONTROL_TOKEN +\(default: unset\)/,
        /\n  SIGNING_KEY_FILE +\(default: a fresh 2048-bit key per start\)/,
        /AI_TOKEN_AUDIENCE: was replaced by AI_TOKEN_SHAPE/,
      ],
    ],
  ] as Array<[string, RegExp[]]>)('of %s lists the settings with their defaults and descriptions, and exits 0', async (main, expected) => {
    const { code, stdout, stderr } = await runToExit(main, ['--help']);
    expect([code, stderr]).toEqual([0, '']);
    for (const pattern of expected) expect(stdout).toMatch(pattern);
  });
});
