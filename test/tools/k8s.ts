/**
 * deploy/k8s without a cluster: the pinned tools (deploy/k8s/install-tools.sh), a kustomization
 * rendered to its objects, those objects checked against the Kubernetes schemas of one release,
 * and what a container's environment resolves to once the kubelet has read its ConfigMaps and
 * Secrets. Used by test/k8s-manifests.e2e-spec.ts.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { projectRoot } from '#contracts';
import { track } from '../live-children.js';

/** The Kubernetes release whose schemas every manifest must satisfy (kubernetes-validate bundles them). */
export const KUBERNETES_VERSION = '1.30.0';

/** What a test reads of a Kubernetes object; `spec` and `data` stay loose, as the kinds differ. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { configMapKeyRef?: { name: string; key: string }; secretKeyRef?: { name: string; key: string } };
}

export interface Probe {
  httpGet?: { path: string; port: string | number };
  periodSeconds?: number;
}

export interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: EnvVar[];
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  ports?: Array<{ name?: string; containerPort: number }>;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; capabilities?: { drop?: string[] } };
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}

export interface PodSpec {
  containers: Container[];
  restartPolicy?: string;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type: string } };
  volumes?: Array<{ name: string; configMap?: { name: string } }>;
}

export interface PodTemplate {
  metadata: { labels: Record<string, string> };
  spec: PodSpec;
}

export interface ServicePort {
  port: number;
  targetPort: string | number;
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `command` to its exit with `input` on its standard input; never rejects for a non-zero exit. */
export function runTool(command: string, args: string[], input = ''): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: projectRoot(), stdio: ['pipe', 'pipe', 'pipe'] });
    track(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

export interface K8sTools {
  kustomize: string;
  kubernetesValidate: string;
}

/** kustomize and kubernetes-validate at their pinned versions, installed into .venv-k8s/ when missing. */
export async function ensureK8sTools(): Promise<K8sTools> {
  const script = join(projectRoot(), 'deploy', 'k8s', 'install-tools.sh');
  const ran = await runTool('bash', [script]);
  const [kustomize, kubernetesValidate] = ran.stdout.trim().split('\n').slice(-2);
  if (ran.code !== 0 || !kustomize || !kubernetesValidate) throw new Error(`deploy/k8s/install-tools.sh failed (exit ${ran.code}):\n${ran.stderr}`);
  return { kustomize, kubernetesValidate };
}

/** The objects of a rendered kustomization, in kustomize's order, and their YAML as rendered. */
export interface Rendered {
  yaml: string;
  objects: K8sObject[];
}

/** `kustomize build <dir>` (a folder under deploy/k8s); `flags` go before the folder. Throws with kustomize's message. */
export async function render(tools: K8sTools, dir: string, flags: string[] = []): Promise<Rendered> {
  const ran = await runTool(tools.kustomize, ['build', ...flags, join(projectRoot(), 'deploy', 'k8s', dir)]);
  if (ran.code !== 0) throw new Error(`kustomize build ${dir} failed (exit ${ran.code}): ${ran.stderr}`);
  return { yaml: ran.stdout, objects: parseAllDocuments(ran.stdout).map((d) => d.toJS() as K8sObject) };
}

/** `kind/name` as kubernetes-validate names an object. */
export const kindName = (o: Pick<K8sObject, 'kind' | 'metadata'>): string => `${o.kind.toLowerCase()}/${o.metadata.name}`;

export interface Validation {
  code: number | null;
  /** Objects that passed, as `kind/name`. */
  passed: string[];
  /** ERROR lines (a schema violation), WARN lines (no schema for the kind: NOT a pass) and FATAL lines. */
  problems: string[];
}

/**
 * kubernetes-validate --strict (unknown fields are errors) against KUBERNETES_VERSION. An object
 * of a kind it has no schema for only gets a WARN and exit 0: it is a problem here, and it is
 * missing from `passed`.
 */
export async function validate(tools: K8sTools, objects: K8sObject[] | string): Promise<Validation> {
  const yaml = typeof objects === 'string' ? objects : objects.map((o) => stringify(o)).join('---\n');
  const ran = await runTool(tools.kubernetesValidate, ['--strict', '-k', KUBERNETES_VERSION, '-'], yaml);
  const lines = `${ran.stdout}\n${ran.stderr}`.split('\n');
  return {
    code: ran.code,
    passed: lines.flatMap((l) => /^INFO - passed for resource (\S+) against version /.exec(l)?.[1] ?? []),
    problems: lines.filter((l) => /^(ERROR|WARN|FATAL)\b/.test(l) || /^Traceback|^Couldn't/.test(l)),
  };
}

/** The one object of `kind` named `name`, or named `name-<kustomize hash>` for a generated ConfigMap or Secret. */
export function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const generated = kind === 'ConfigMap' || kind === 'Secret';
  const found = objects.filter((o) => o.kind === kind && (o.metadata.name === name || (generated && new RegExp(`^${name}-[a-z0-9]{10}$`).test(o.metadata.name))));
  if (found.length !== 1) throw new Error(`the render has ${found.length} ${kind} named ${name} (it has ${objects.map(kindName).join(', ')})`);
  return found[0]!;
}

/** The pod template of a Deployment or Job. */
export const podTemplate = (o: K8sObject): PodTemplate => (o.spec as { template: PodTemplate }).template;

/** The one container of a workload's pod. */
export function onlyContainer(o: K8sObject): Container {
  const containers = podTemplate(o).spec.containers;
  if (containers.length !== 1) throw new Error(`${kindName(o)} has ${containers.length} containers`);
  return containers[0]!;
}

/** `http://<name>:<port>`: how a Pod in the namespace reaches the Service `name` (its first port). */
export function serviceUrl(objects: K8sObject[], name: string): string {
  const ports = (find(objects, 'Service', name).spec as { ports: ServicePort[] }).ports;
  return `http://${name}:${ports[0]!.port}`;
}

function dataOf(objects: K8sObject[], kind: 'ConfigMap' | 'Secret', name: string): Record<string, string> {
  // Only the exact (hashed) name the kubelet would look up: a reference kustomize did not update fails here.
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in the render`);
  const data = found.data ?? {};
  return kind === 'Secret' ? Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])) : data;
}

/**
 * The container's environment as the kubelet builds it: `envFrom` first, then `env` in order,
 * each `$(NAME)` in a value replaced by a variable defined before it (left as written when
 * undefined, as the kubelet does). `sources` says, per variable, whether it came from a literal,
 * a ConfigMap or a Secret.
 */
export function containerEnv(objects: K8sObject[], container: Container): { env: Record<string, string>; sources: Record<string, 'value' | 'configMap' | 'secret'> } {
  const env: Record<string, string> = {};
  const sources: Record<string, 'value' | 'configMap' | 'secret'> = {};
  for (const from of container.envFrom ?? []) {
    const [kind, ref] = from.configMapRef ? (['ConfigMap', from.configMapRef] as const) : (['Secret', from.secretRef!] as const);
    for (const [k, v] of Object.entries(dataOf(objects, kind, ref.name))) {
      env[k] = v;
      sources[k] = kind === 'ConfigMap' ? 'configMap' : 'secret';
    }
  }
  for (const variable of container.env ?? []) {
    const ref = variable.valueFrom;
    if (ref?.configMapKeyRef) {
      env[variable.name] = required(dataOf(objects, 'ConfigMap', ref.configMapKeyRef.name), ref.configMapKeyRef.key, variable.name);
      sources[variable.name] = 'configMap';
    } else if (ref?.secretKeyRef) {
      env[variable.name] = required(dataOf(objects, 'Secret', ref.secretKeyRef.name), ref.secretKeyRef.key, variable.name);
      sources[variable.name] = 'secret';
    } else {
      env[variable.name] = (variable.value ?? '').replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => env[name] ?? whole);
      sources[variable.name] = 'value';
    }
  }
  return { env, sources };
}

function required(data: Record<string, string>, key: string, variable: string): string {
  const value = data[key];
  if (value === undefined) throw new Error(`${variable} refers to the key ${key}, which its ConfigMap or Secret does not have`);
  return value;
}

/** The value that follows `flag` in a container's args. */
export function argAfter(container: Container, flag: string): string | undefined {
  const args = container.args ?? [];
  const at = args.indexOf(flag);
  return at < 0 ? undefined : args[at + 1];
}

/**
 * Writes what the container's ConfigMap volumes would show it under `dir`: each key as a file in
 * `<dir><mountPath>/`, as the kubelet projects a ConfigMap. Returns the mount paths written.
 */
export function writeConfigMapMounts(objects: K8sObject[], template: PodTemplate, container: Container, dir: string): string[] {
  const written: string[] = [];
  for (const mount of container.volumeMounts ?? []) {
    const configMap = template.spec.volumes?.find((v) => v.name === mount.name)?.configMap;
    if (!configMap) continue;
    mkdirSync(join(dir, mount.mountPath), { recursive: true });
    for (const [key, text] of Object.entries(dataOf(objects, 'ConfigMap', configMap.name))) writeFileSync(join(dir, mount.mountPath, key), text);
    written.push(mount.mountPath);
  }
  return written;
}
