/**
 * deploy/k8s, checked without a cluster (issue 12, "Past one machine"): the base and each
 * overlay rendered by the pinned kustomize, every object validated against the schemas of
 * Kubernetes KUBERNETES_VERSION with kubernetes-validate --strict, and the project's own rules:
 * each role ready on its health path with resource requests and a restricted security context,
 * the control API off in the base and on only in the harness overlay, the issuer the gateway
 * trusts being GitLab SaaS's Service URL, and the load overlay's Locust master and N > 1 workers
 * running the keystroke scenario from load/locust/ against the gateway Service.
 * The tools are installed into .venv-k8s/ by deploy/k8s/install-tools.sh when missing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DEFAULT_PORT, PATH, demoToken, isLoopbackHost, readDemoFixture, type Role } from '#contracts';
import { ensureLocust } from '../load/run/locust.js';
import { freePort } from '../scenarios/runner/stack/ports.js';
import type { RunningStack } from '../scenarios/runner/stack/launcher.js';
import { track } from './live-children.js';
import { roleUrl, root, startEmbedded, tempDir } from './support.js';
import {
  KUBERNETES_VERSION,
  argAfter,
  containerEnv,
  ensureK8sTools,
  find,
  kindName,
  onlyContainer,
  podTemplate,
  render,
  serviceUrl,
  validate,
  type Container,
  type K8sObject,
  type K8sTools,
  type PodTemplate,
  type Rendered,
  type ServicePort,
  writeConfigMapMounts,
} from './tools/k8s.js';

const ROLES = ['gitlab-saas', 'gitlab-sm', 'ai-gateway', 'fake-model'] as const satisfies readonly Role[];

/** Readiness and liveness paths per role (contracts PATH): the gateway is ready only while it can verify tokens. */
const PROBES: Record<Role, { readiness: string; liveness: string }> = {
  'gitlab-saas': { readiness: PATH.GITLAB_HEALTH, liveness: PATH.GITLAB_HEALTH },
  'gitlab-sm': { readiness: PATH.GITLAB_HEALTH, liveness: PATH.GITLAB_HEALTH },
  'ai-gateway': { readiness: PATH.GATEWAY_READY, liveness: PATH.GATEWAY_HEALTHZ },
  'fake-model': { readiness: PATH.MODEL_HEALTHZ, liveness: PATH.MODEL_HEALTHZ },
};

const CONTROL_TOKEN = 'HARNESS_CONTROL_TOKEN';
/** The scenarios read load/locust/ from outside the overlay's folder. */
const LOAD_FLAGS = ['--load-restrictor', 'LoadRestrictionsNone'];

let tools: K8sTools;
let base: Rendered;
let harness: Rendered;
let load: Rendered;

beforeAll(async () => {
  tools = await ensureK8sTools();
  [base, harness, load] = await Promise.all([render(tools, 'base'), render(tools, 'overlays/harness'), render(tools, 'overlays/load', LOAD_FLAGS)]);
}, 300_000);

const renders = (): Array<[string, Rendered]> => [
  ['base', base],
  ['overlays/harness', harness],
  ['overlays/load', load],
];

describe(`every manifest is valid Kubernetes ${KUBERNETES_VERSION} (kubernetes-validate --strict)`, () => {
  it.each(['base', 'overlays/harness', 'overlays/load'])('%s', async (name) => {
    const rendered = renders().find(([n]) => n === name)![1];
    const result = await validate(tools, rendered.yaml);
    expect(result.problems).toEqual([]);
    expect(result.code).toBe(0);
    // Every object passed: a kind without a schema (a CRD) is only warned about, never passed.
    expect(result.passed.sort()).toEqual(rendered.objects.map(kindName).sort());
  });
});

describe('the validator refuses what a cluster would refuse', () => {
  /** The base's gateway Deployment with `change` applied to its container. */
  const brokenGateway = (change: (c: Record<string, unknown> & Container) => void): K8sObject => {
    const copy = structuredClone(find(base.objects, 'Deployment', 'ai-gateway'));
    change(onlyContainer(copy) as Record<string, unknown> & Container);
    return copy;
  };

  it('a readiness probe with a value of the wrong type', async () => {
    const result = await validate(tools, [brokenGateway((c) => (c.readinessProbe!.periodSeconds = 'often' as unknown as number))]);
    expect(result.code).toBe(1);
    expect(result.passed).toEqual([]);
    expect(result.problems.join('\n')).toMatch(/deployment\/ai-gateway .*readinessProbe\.periodSeconds: 'often' is not of type 'integer'/);
  });

  it('a field Kubernetes does not know (strict)', async () => {
    const result = await validate(tools, [brokenGateway((c) => ((c.readinessProbe!.httpGet as Record<string, unknown>).url = 'http://localhost/-/health'))]);
    expect(result.code).toBe(1);
    expect(result.problems.join('\n')).toMatch(/readinessProbe\.httpGet: Additional properties are not allowed \('url' was unexpected\)/);
  });

  it('a kind it has no schema for is not a pass', async () => {
    const testRun: K8sObject = { apiVersion: 'k6.io/v1alpha1', kind: 'TestRun', metadata: { name: 'keystroke' }, spec: { parallelism: 4 } };
    const result = await validate(tools, [testRun]);
    expect(result.passed).toEqual([]);
    expect(result.problems.join('\n')).toMatch(/^WARN .*TestRun/m);
  });
});

describe('the base: the four roles, the control API off', () => {
  it('has a Deployment and a Service per role, and nothing else but the URLs', () => {
    expect(base.objects.map(kindName).sort()).toEqual([...ROLES.flatMap((r) => [`deployment/${r}`, `service/${r}`]), expect.stringMatching(/^configmap\/stack-urls-/)].sort());
  });

  it.each(ROLES)('%s listens on its default port behind a Service of the same port', (role) => {
    const deployment = find(base.objects, 'Deployment', role);
    const container = onlyContainer(deployment);
    const { env } = containerEnv(base.objects, container);
    expect(readdirSync(join(root, 'apps', env.APP!, 'src'))).toContain('main.ts');
    expect(env).toMatchObject({ HOST: '0.0.0.0', PORT: String(DEFAULT_PORT[role]) });
    expect(container.ports).toEqual([{ name: 'http', containerPort: DEFAULT_PORT[role] }]);
    expect(container.image).toBe(composeImage());
    const service = find(base.objects, 'Service', role).spec as { selector: Record<string, string>; ports: ServicePort[] };
    expect(service.ports).toEqual([expect.objectContaining({ port: DEFAULT_PORT[role], targetPort: 'http' })]);
    expect(podTemplate(deployment).metadata.labels).toMatchObject(service.selector);
  });

  it.each(ROLES)('%s is ready on its health path, and probed for start and liveness', (role) => {
    const container = onlyContainer(find(base.objects, 'Deployment', role));
    expect(container.readinessProbe?.httpGet).toEqual({ path: PROBES[role].readiness, port: 'http' });
    expect(container.livenessProbe?.httpGet).toEqual({ path: PROBES[role].liveness, port: 'http' });
    expect(container.startupProbe?.httpGet).toEqual({ path: PROBES[role].liveness, port: 'http' });
  });

  it.each(ROLES)('%s requests CPU and memory and is bounded in memory', (role) => {
    const { resources } = onlyContainer(find(base.objects, 'Deployment', role));
    expect(resources?.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
    expect(resources?.limits).toMatchObject({ memory: expect.any(String) });
  });

  it.each(ROLES)('%s runs as a non-root user, read-only, without privileges', (role) => {
    expectRestricted(podTemplate(find(base.objects, 'Deployment', role)));
  });

  it('runs each GitLab as one replica, stopped before it is replaced (its keys and tokens live in its memory)', () => {
    for (const role of ['gitlab-saas', 'gitlab-sm']) {
      expect(find(base.objects, 'Deployment', role).spec).toMatchObject({ replicas: 1, strategy: { type: 'Recreate' } });
    }
  });

  it('sets no control token anywhere', () => {
    expect(base.yaml).not.toContain(CONTROL_TOKEN);
    expect(base.objects.filter((o) => o.kind === 'Secret')).toEqual([]);
  });

  it.each(renders().map(([n]) => n))('%s: the gateway trusts GitLab SaaS by its Service URL, the issuer SaaS signs as', (name) => {
    const rendered = renders().find(([n]) => n === name)![1];
    const saas = serviceUrl(rendered.objects, 'gitlab-saas');
    const envOf = (role: Role) => containerEnv(rendered.objects, onlyContainer(find(rendered.objects, 'Deployment', role)));
    const gateway = envOf('ai-gateway');
    expect(gateway.env.AIGW_TRUSTED_ISSUERS).toBe(saas);
    // Configuration, not a literal in the Deployment.
    expect(gateway.sources.AIGW_TRUSTED_ISSUERS).toBe('configMap');
    expect(gateway.env.AIGW_MODEL_URL).toBe(serviceUrl(rendered.objects, 'fake-model'));
    expect(envOf('gitlab-saas').env).toMatchObject({ GITLAB_MODE: 'saas', GITLAB_URL: saas });
    expect(envOf('gitlab-sm').env).toMatchObject({ GITLAB_MODE: 'self-managed', GITLAB_URL: serviceUrl(rendered.objects, 'gitlab-sm'), SAAS_URL: saas });
  });
});

describe('overlays/harness: the control API on', () => {
  it.each(ROLES)('%s gets the control token from the harness-control Secret', (role) => {
    const { env, sources } = containerEnv(harness.objects, onlyContainer(find(harness.objects, 'Deployment', role)));
    expect(sources[CONTROL_TOKEN]).toBe('secret');
    // The apps refuse a shorter one (apps/common configFields.controlToken).
    expect(env[CONTROL_TOKEN]!.length).toBeGreaterThanOrEqual(16);
  });

  it('uses the control token of docker/compose-profile.yaml, so that profile drives the stack through port-forward', () => {
    const profile = parse(readFileSync(join(root, 'docker', 'compose-profile.yaml'), 'utf8')) as { roles: Record<Role, { control_token: string }> };
    const { env } = containerEnv(harness.objects, onlyContainer(find(harness.objects, 'Deployment', 'gitlab-saas')));
    for (const role of ROLES) expect(env[CONTROL_TOKEN]).toBe(profile.roles[role].control_token);
  });

  it('puts everything in a namespace that enforces the restricted Pod Security Standard', () => {
    const namespace = find(harness.objects, 'Namespace', 'ai-auth-harness');
    expect(namespace.metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted' });
    for (const o of harness.objects.filter((o) => o.kind !== 'Namespace')) expect([kindName(o), o.metadata.namespace]).toEqual([kindName(o), 'ai-auth-harness']);
  });
});

describe('overlays/load: Locust, one master and N workers, against the gateway Service', () => {
  const master = () => find(load.objects, 'Job', 'locust-master');
  const workers = () => find(load.objects, 'Job', 'locust-workers');
  const envOf = (job: K8sObject) => containerEnv(load.objects, onlyContainer(job)).env;

  it('runs N > 1 workers, and the master waits for exactly N', () => {
    const spec = workers().spec as { parallelism: number; completions: number };
    expect(spec.parallelism).toBeGreaterThan(1);
    expect(spec.completions).toBe(spec.parallelism);
    expect(envOf(master()).LOCUST_EXPECT_WORKERS).toBe(String(spec.parallelism));
    expect(envOf(workers()).LOCUST_EXPECT_WORKERS).toBeUndefined();
  });

  it('sends the keystroke scenario to the gateway Service, with SaaS as the token issuer', () => {
    for (const job of [master(), workers()]) {
      const env = envOf(job);
      expect(env).toMatchObject({
        LOAD_SCENARIO: 'keystroke',
        LOAD_GATEWAY_URL: serviceUrl(load.objects, 'ai-gateway'),
        LOAD_SAAS_URL: serviceUrl(load.objects, 'gitlab-saas'),
        LOAD_SM_URL: serviceUrl(load.objects, 'gitlab-sm'),
      });
    }
    const gateway = containerEnv(load.objects, onlyContainer(find(load.objects, 'Deployment', 'ai-gateway'))).env;
    expect(envOf(master()).LOAD_SAAS_URL).toBe(gateway.AIGW_TRUSTED_ISSUERS);
    expect((find(load.objects, 'Deployment', 'ai-gateway').spec as { replicas: number }).replicas).toBeGreaterThan(1);
  });

  it('asks for tokens with the demo users’ ai_features tokens', () => {
    const fixture = readDemoFixture();
    expect(envOf(workers())).toMatchObject({ LOAD_SAAS_PAT: demoToken(fixture, 'saas-developer/ai-features'), LOAD_SM_PAT: demoToken(fixture, 'sm-developer/ai-features') });
  });

  it('runs the scenario file of load/locust/ as it is, with every module of its common package', () => {
    for (const job of [master(), workers()]) {
      const container = onlyContainer(job);
      const env = envOf(job);
      const mounted = (dir: string) => configMapMountedAt(podTemplate(job), container, dir);
      const [scenarioDir, scenarioFile] = splitPath(env.LOCUST_LOCUSTFILE!);
      expect(scenarioFile).toBe('keystroke.py');
      expect(mounted(scenarioDir).data).toEqual(sources(join(root, 'load', 'locust')));
      expect(mounted(`${env.PYTHONPATH}/common`).data).toEqual(sources(join(root, 'load', 'locust', 'common')));
      expect(env).toMatchObject({ PYTHONDONTWRITEBYTECODE: '1', LOAD_REPORTS_DIR: expect.any(String) });
      expect(container.volumeMounts?.map((m) => m.mountPath)).toContain(env.LOAD_REPORTS_DIR);
    }
  });

  it('runs the master headless for LOAD_RUN_TIME_S, and the workers connect to it through its Service', () => {
    const masterContainer = onlyContainer(master());
    const env = envOf(master());
    expect(masterContainer.args).toEqual(expect.arrayContaining(['--master', '--headless']));
    expect(env.LOCUST_RUN_TIME).toBe(`${env.LOAD_RUN_TIME_S}s`);
    expect(Number(env.LOCUST_USERS)).toBeGreaterThanOrEqual(Number(env.LOCUST_EXPECT_WORKERS));
    const workerContainer = onlyContainer(workers());
    expect(workerContainer.args).toContain('--worker');
    // Locust refuses --run-time on a worker: it belongs to the master alone.
    expect(envOf(workers()).LOCUST_RUN_TIME).toBeUndefined();
    const service = find(load.objects, 'Service', argAfter(workerContainer, '--master-host')!).spec as { selector: Record<string, string>; ports: ServicePort[] };
    expect(podTemplate(master()).metadata.labels).toMatchObject(service.selector);
    expect(podTemplate(workers()).metadata.labels).not.toMatchObject(service.selector);
    const port = service.ports.find((p) => String(p.port) === argAfter(workerContainer, '--master-port'));
    expect(masterContainer.ports).toContainEqual({ name: port?.targetPort, containerPort: 5557 });
  });

  it('runs each Job once (a measurement is reported, not repeated), bounded in time', () => {
    for (const job of [master(), workers()]) {
      expect(job.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: expect.any(Number) });
      expect(podTemplate(job).spec.restartPolicy).toBe('Never');
      expect(onlyContainer(job).image).toBe('locustio/locust:2.47.0');
      expect(onlyContainer(job).resources?.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
      expectRestricted(podTemplate(job));
    }
  });

  it('holds no Secret but the harness control token and the demo users’ tokens', () => {
    const secrets = load.objects.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name.replace(/-[a-z0-9]{10}$/, ''));
    expect(secrets.sort()).toEqual(['harness-control', 'load-credentials']);
  });
});

describe('overlays/load, run as rendered on this machine', () => {
  let stack: RunningStack | undefined;
  afterAll(() => stack?.stop());

  // The Jobs' own command lines, environment and files (the ConfigMaps written where the Pods
  // mount them, under a temporary folder), with three changes for a 2-core machine: the Service
  // URLs become an embedded stack's loopback URLs, the master binds a free loopback port, and the
  // run is a smoke (2 workers, 4 IDEs, 5 s, LOAD_SMOKE's latency limits).
  it('the master starts once both workers are in, gathers their statistics and passes the keystroke gate', async () => {
    const locust = ensureLocust(() => undefined);
    stack = await startEmbedded(ROLES);
    const dir = tempDir('k8s-locust');
    const port = String(await freePort());
    const local = (job: K8sObject, name: string, env: Record<string, string>) => asLocal(stack!, job, dir, name, port, env);
    const master = local(find(load.objects, 'Job', 'locust-master'), 'master', {
      LOCUST_EXPECT_WORKERS: '2',
      LOCUST_USERS: '4',
      LOCUST_SPAWN_RATE: '4',
      LOAD_RUN_TIME_S: '5',
      LOCUST_RUN_TIME: '5s',
      LOAD_SMOKE: '1',
    });
    master.args.push('--master-bind-host', '127.0.0.1', '--master-bind-port', port);
    const masterRun = runLocust(locust, master);
    const workers = ['worker-1', 'worker-2'].map((name) => runLocust(locust, local(find(load.objects, 'Job', 'locust-workers'), name, { LOAD_SMOKE: '1' })));

    const { code, output } = await masterRun.exited;
    expect([code, output.slice(-3000)]).toEqual([0, expect.any(String)]);
    expect(output).toMatch(/Sending spawn jobs of 4 users .* to 2 ready workers/);
    const summary = JSON.parse(readFileSync(join(master.env.LOAD_REPORTS_DIR!, 'summary.json'), 'utf8')) as {
      scenario: string;
      pass: boolean;
      load: { maxUsers: number };
      tags: Record<string, { requests: number; failures: number }>;
    };
    expect(summary).toMatchObject({ scenario: 'keystroke', pass: true, load: { maxUsers: 4 } });
    expect(summary.tags.completion?.requests).toBeGreaterThan(0);
    expect(summary.tags.completion?.failures).toBe(0);
    // The master's end ends the workers, which judge nothing and exit 0 (so their Job completes).
    const workerCodes = await Promise.race([Promise.all(workers.map((w) => w.exited.then((e) => e.code))), new Promise<string>((resolve) => setTimeout(() => resolve('still running after 30 s'), 30_000).unref())]);
    expect(workerCodes).toEqual([0, 0]);
  }, 120_000);
});

interface LocalRun {
  args: string[];
  env: Record<string, string>;
}

/**
 * A Locust Job's container as a local process: its args with the master reached on loopback
 * `port`, its environment resolved from the render with the mounted paths under `dir`, the
 * Service URLs replaced by the stack's, and `overrides` last. Refuses to return a run whose
 * target URLs are not on loopback.
 */
function asLocal(stack: RunningStack, job: K8sObject, dir: string, name: string, port: string, overrides: Record<string, string>): LocalRun {
  const container = onlyContainer(job);
  writeConfigMapMounts(load.objects, podTemplate(job), container, dir);
  const env = containerEnv(load.objects, container).env;
  const urls = new Map(ROLES.map((role) => [serviceUrl(load.objects, role), roleUrl(stack, role)]));
  for (const [k, v] of Object.entries(env)) env[k] = urls.get(v) ?? v;
  for (const k of ['LOCUST_LOCUSTFILE', 'PYTHONPATH']) env[k] = join(dir, env[k]!);
  env.LOAD_REPORTS_DIR = join(dir, name, env.LOAD_REPORTS_DIR!);
  Object.assign(env, overrides);
  for (const k of ['LOAD_GATEWAY_URL', 'LOAD_SAAS_URL', 'LOAD_SM_URL']) {
    if (!isLoopbackHost(new URL(env[k]!).hostname)) throw new Error(`${k} is ${env[k]}, not on loopback: this test sends load to loopback only`);
  }
  const args = [...(container.args ?? [])];
  const at = (flag: string) => args.indexOf(flag) + 1;
  if (at('--master-host')) args[at('--master-host')] = '127.0.0.1';
  if (at('--master-port')) args[at('--master-port')] = port;
  return { args, env };
}

/** Starts Locust; `exited` resolves with its exit code and everything it printed. */
function runLocust(bin: string, run: LocalRun): { child: ChildProcess; exited: Promise<{ code: number | null; output: string }> } {
  const child = spawn(bin, run.args, { cwd: tempDir('k8s-locust-cwd'), env: { PATH: process.env.PATH ?? '', ...run.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  return { child, exited: new Promise((resolve) => child.once('exit', (code) => resolve({ code, output }))) };
}

/** The image docker/docker-compose.yml runs (the tag the project builds). */
function composeImage(): string {
  const compose = parse(readFileSync(join(root, 'docker', 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, { image: string }> };
  return compose.services['ai-gateway']!.image;
}

/** The Pod Security Standard "restricted" on a pod template. */
function expectRestricted(template: PodTemplate): void {
  expect(template.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: expect.any(Number), seccompProfile: { type: 'RuntimeDefault' } });
  expect(template.spec.securityContext?.runAsUser).toBeGreaterThan(0);
  for (const container of template.spec.containers) {
    expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
  }
}

/** The ConfigMap mounted at `dir` in `container`. */
function configMapMountedAt(template: PodTemplate, container: Container, dir: string): K8sObject {
  const mount = container.volumeMounts?.find((m) => m.mountPath === dir);
  const volume = template.spec.volumes?.find((v) => v.name === mount?.name);
  if (!volume?.configMap) throw new Error(`nothing from a ConfigMap is mounted at ${dir}`);
  return find(load.objects, 'ConfigMap', volume.configMap.name.replace(/-[a-z0-9]{10}$/, ''));
}

/** The folder and the file name of an absolute path. */
function splitPath(path: string): [string, string] {
  const slash = path.lastIndexOf('/');
  return [path.slice(0, slash), path.slice(slash + 1)];
}

/** Every .py file of a folder (not its sub-folders): name -> text. */
function sources(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.py'))
      .map((e) => [e.name, readFileSync(join(dir, e.name), 'utf8')]),
  );
}
