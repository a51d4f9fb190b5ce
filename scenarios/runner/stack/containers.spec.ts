import { parseCli } from '../cli-main.js';
import { StackStartError, UsageError } from '../errors.js';
import { testProfile } from '../test/helpers.js';
import { lastLine, parseDockerHostLine, testcontainersEnvironment } from './container-host.js';
import { isOrphan, OWNER_LABEL, ownerId, ROLE_LABEL, RUN_LABEL, runLabels } from './container-labels.js';
import { CONTAINER_FILES_DIR, containerRolePlan, profileInContainer } from './containers.js';
import type { PlannedRole } from './launcher.js';
import { runUrls } from './launcher.js';
import { defaultRoleTable, roleEnvironment } from './role-table.js';

const planned: PlannedRole[] = [
  { role: 'fake-model', port: 41053, url: 'http://127.0.0.1:41053' },
  { role: 'gitlab-saas', port: 41001, url: 'http://127.0.0.1:41001' },
  { role: 'gitlab-sm', port: 41000, url: 'http://127.0.0.1:41000' },
  { role: 'ai-gateway', port: 41052, url: 'http://127.0.0.1:41052' },
];
const byRole = (role: PlannedRole['role']) => planned.find((p) => p.role === role)!;

describe('containers runtime: a role container from the shared role table', () => {
  const table = defaultRoleTable('/repo');
  const profile = testProfile();
  const urls = runUrls(profile, planned);

  it('runs the role app with the embedded arguments, on loopback (the host network)', () => {
    const plan = containerRolePlan(table['gitlab-sm'], byRole('gitlab-sm'), urls, profile, 'ctl', 'run1');
    expect(plan.app).toBe('gitlab');
    expect(plan.command).toEqual(['--mode', 'self-managed', '--port', '41000', '--host', '127.0.0.1', '--url', 'http://127.0.0.1:41000']);
    expect(plan.healthPath).toBe(table['gitlab-sm'].healthPath);
    expect(plan.url).toBe('http://127.0.0.1:41000');
  });

  it('gives the container the same environment as the embedded process, plus APP, with the peers at their loopback URLs', () => {
    const plan = containerRolePlan(table['ai-gateway'], byRole('ai-gateway'), urls, profile, 'ctl', 'run1');
    const embeddedCtx = { role: 'ai-gateway' as const, port: 41052, host: '127.0.0.1', url: 'http://127.0.0.1:41052', urls, profile };
    expect(plan.environment).toEqual({ APP: 'ai-gateway', ...roleEnvironment(table['ai-gateway'], embeddedCtx, 'ctl') });
    expect(plan.environment.AIGW_TRUSTED_ISSUERS).toBe('http://127.0.0.1:41001,http://127.0.0.1:41000');
    expect(plan.environment.AIGW_MODEL_URL).toBe('http://127.0.0.1:41053');
    expect(plan.environment.HARNESS_CONTROL_TOKEN).toBe('ctl');
  });

  it('starts a role whose spec turns the control API off without the run token, even one the spec sets', () => {
    const ctx = { role: 'ai-gateway' as const, port: 41052, host: '127.0.0.1', url: 'http://127.0.0.1:41052', urls, profile };
    const spec = table['ai-gateway'];
    const off = { ...spec, controlApi: false as const, env: () => ({ ...spec.env!(ctx), HARNESS_CONTROL_TOKEN: 'a-token-of-the-spec-itself' }) };
    expect(roleEnvironment(off, ctx, 'ctl').HARNESS_CONTROL_TOKEN).toBe('');
    expect(roleEnvironment(off, ctx, 'ctl').AIGW_MODEL_URL).toBe('http://127.0.0.1:41053');
    expect(roleEnvironment(spec, ctx, 'ctl').HARNESS_CONTROL_TOKEN).toBe('ctl');
  });

  it('names and labels the container with the run, its owner and its role', () => {
    const plan = containerRolePlan(table['fake-model'], byRole('fake-model'), urls, profile, 'ctl', 'run1');
    expect(plan.name).toBe('ai-auth-harness-run1-fake-model');
    expect(plan.labels).toEqual({ [RUN_LABEL]: 'run1', [OWNER_LABEL]: ownerId(), [ROLE_LABEL]: 'fake-model' });
  });

  it('copies a seed file from the host into the container and names its path there', () => {
    const seeded = { ...profile, options: { ...profile.options, seedFile: '/home/me/my-seed.yaml' } };
    const plan = containerRolePlan(table['gitlab-saas'], byRole('gitlab-saas'), runUrls(seeded, planned), seeded, 'ctl', 'run1');
    expect(plan.files).toEqual([{ source: '/home/me/my-seed.yaml', target: `${CONTAINER_FILES_DIR}/my-seed.yaml` }]);
    expect(plan.command.slice(-2)).toEqual(['--seed', `${CONTAINER_FILES_DIR}/my-seed.yaml`]);
    expect(seeded.options.seedFile).toBe('/home/me/my-seed.yaml');
    expect(profileInContainer(profile).files).toEqual([]);
  });

  it('refuses a role table entry without an app (a test script has no image)', () => {
    const script = { script: '/tmp/tiny.mjs', args: () => [], healthPath: '/health' };
    expect(() => containerRolePlan(script, byRole('fake-model'), urls, profile, 'ctl', 'run1')).toThrow(StackStartError);
    expect(() => containerRolePlan(script, byRole('fake-model'), urls, profile, 'ctl', 'run1')).toThrow(/names no app of the image/);
  });
});

describe('containers runtime: labels and orphans', () => {
  const alive = new Set([100]);
  const isAlive = (pid: number) => alive.has(pid);

  it('names this process as the owner', () => {
    expect(runLabels('r', 'ai-gateway', 'box:7')).toEqual({ [RUN_LABEL]: 'r', [OWNER_LABEL]: 'box:7', [ROLE_LABEL]: 'ai-gateway' });
    expect(ownerId(42, 'box')).toBe('box:42');
  });

  it('treats a container of this machine whose runner is gone as an orphan', () => {
    expect(isOrphan(runLabels('r', 'gitlab-saas', 'box:200'), 'box', isAlive)).toBe(true);
  });

  it('leaves containers of a live runner, of another machine, and without our labels alone', () => {
    expect(isOrphan(runLabels('r', 'gitlab-saas', 'box:100'), 'box', isAlive)).toBe(false);
    expect(isOrphan(runLabels('r', 'gitlab-saas', 'other:200'), 'box', isAlive)).toBe(false);
    expect(isOrphan({ 'com.example': 'x' }, 'box', isAlive)).toBe(false);
    expect(isOrphan(undefined, 'box', isAlive)).toBe(false);
    expect(isOrphan({ [RUN_LABEL]: 'r', [OWNER_LABEL]: 'box:not-a-pid' }, 'box', isAlive)).toBe(false);
  });
});

describe('containers runtime: host preparation', () => {
  it('reads the scripts result from their last non-empty line', () => {
    expect(lastLine('building...\nstep 2\nlocalhost/ai-auth-harness:local\n\n')).toBe('localhost/ai-auth-harness:local');
    expect(lastLine('')).toBe('');
  });

  it('parses DOCKER_HOST=<endpoint>, also the empty default of a Docker engine', () => {
    expect(parseDockerHostLine('DOCKER_HOST=unix:///run/podman/podman.sock')).toBe('unix:///run/podman/podman.sock');
    expect(parseDockerHostLine('DOCKER_HOST=')).toBe('');
    expect(() => parseDockerHostLine('podman is ready')).toThrow(/DOCKER_HOST=<endpoint>, got "podman is ready"/);
  });

  it('sets the testcontainers environment without overriding what the user set', () => {
    expect(testcontainersEnvironment('unix:///run/podman/podman.sock', {})).toEqual({
      DOCKER_HOST: 'unix:///run/podman/podman.sock',
      TESTCONTAINERS_RYUK_DISABLED: 'true',
      TESTCONTAINERS_HOST_OVERRIDE: '127.0.0.1',
    });
    expect(testcontainersEnvironment('', {})).not.toHaveProperty('DOCKER_HOST');
    expect(testcontainersEnvironment('unix:///x.sock', { DOCKER_HOST: 'tcp://mine:2375', TESTCONTAINERS_HOST_OVERRIDE: '10.0.0.1' })).toEqual({
      TESTCONTAINERS_RYUK_DISABLED: 'true',
    });
  });
});

describe('containers runtime: command line', () => {
  it('runs embedded unless --runtime containers is given, for run and stack', () => {
    expect(parseCli(['run']).runtime).toBe('embedded');
    expect(parseCli(['run', '--runtime', 'containers', '--image', 'mine:1'])).toMatchObject({ runtime: 'containers', image: 'mine:1' });
    expect(parseCli(['stack', '--runtime', 'containers']).runtime).toBe('containers');
  });

  it('refuses an unknown runtime, --image without containers, and both on list', () => {
    expect(() => parseCli(['run', '--runtime', 'pods'])).toThrow(new UsageError("--runtime pods: expected 'embedded' or 'containers'"));
    expect(() => parseCli(['run', '--image', 'mine:1'])).toThrow(new UsageError('--image applies to --runtime containers only'));
    expect(() => parseCli(['list', '--runtime', 'containers'])).toThrow(/--runtime does not apply to `list`/);
  });
});
