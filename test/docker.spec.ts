/**
 * Static validation of docker/ (no container engine is needed): the compose file runs the
 * same entry points as the embedded stack, waits on healthchecks, publishes on loopback only,
 * and the Dockerfile builds what the services start.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DEFAULT_PORT, PATH, projectRoot, type Role } from '#contracts';

const root = projectRoot();
// Compose files use YAML merge keys (<<: *anchor), which YAML 1.2 parsers resolve only when asked.
const compose = parse(readFileSync(join(root, 'docker', 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const dockerfile = readFileSync(join(root, 'docker', 'Dockerfile'), 'utf8');

interface Service {
  build?: { context: string; dockerfile: string };
  image?: string;
  environment: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[]; interval: string; retries: number };
  container_name?: string;
}

const HEALTH_PATH: Record<Role, string> = {
  'gitlab-saas': PATH.GITLAB_HEALTH,
  'gitlab-sm': PATH.GITLAB_HEALTH,
  'ai-gateway': PATH.GATEWAY_HEALTHZ,
  'fake-model': PATH.MODEL_HEALTHZ,
};

describe('docker-compose.yml', () => {
  const services = Object.entries(compose.services);

  it('has one service per role', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['ai-gateway', 'fake-model', 'gitlab-saas', 'gitlab-sm']);
  });

  it.each(services)('%s starts an app that exists, on its default port', (name, service) => {
    const app = service.environment.APP!;
    expect(existsSync(join(root, 'apps', app, 'src', 'main.ts'))).toBe(true);
    expect(Number(service.environment.PORT)).toBe(DEFAULT_PORT[name as Role]);
    expect(service.environment.HOST).toBe('0.0.0.0');
    expect(service.container_name).toBeUndefined();
  });

  it.each(services)('%s publishes its port on loopback only', (name, service) => {
    const port = DEFAULT_PORT[name as Role];
    expect(service.ports).toEqual([`127.0.0.1:${port}:${port}`]);
  });

  it.each(services)('%s has a healthcheck on its health endpoint', (name, service) => {
    const test = service.healthcheck?.test ?? [];
    expect(test[0]).toBe('CMD');
    expect(test.join(' ')).toContain(`http://127.0.0.1:${DEFAULT_PORT[name as Role]}${HEALTH_PATH[name as Role]}`);
    expect(existsSync(join(root, 'docker', 'healthcheck.mjs'))).toBe(true);
  });

  it('waits for healthy dependencies, and only on services that exist', () => {
    for (const [, service] of services) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(Object.keys(compose.services)).toContain(dependency);
        expect(condition).toBe('service_healthy');
      }
    }
    expect(Object.keys(compose.services['ai-gateway']!.depends_on ?? {}).sort()).toEqual(['fake-model', 'gitlab-saas']);
    expect(Object.keys(compose.services['gitlab-sm']!.depends_on ?? {})).toEqual(['gitlab-saas']);
  });

  it('wires the gateway and the self-managed instance to the SaaS issuer by service name', () => {
    const saas = compose.services['gitlab-saas']!.environment;
    expect(compose.services['ai-gateway']!.environment.AIGW_TRUSTED_ISSUERS).toBe(saas.GITLAB_URL);
    expect(compose.services['gitlab-sm']!.environment.SAAS_URL).toBe(saas.GITLAB_URL);
    expect(compose.services['ai-gateway']!.environment.AIGW_MODEL_URL).toBe(`http://fake-model:${DEFAULT_PORT['fake-model']}`);
  });

  it('builds every service from docker/Dockerfile', () => {
    for (const [, service] of services) expect(service.build).toEqual({ context: '..', dockerfile: 'docker/Dockerfile' });
  });
});

describe('Dockerfile', () => {
  it('takes the base image as a build argument declared before the first FROM', () => {
    const argAt = dockerfile.indexOf('ARG NODE_IMAGE=');
    expect(argAt).toBeGreaterThanOrEqual(0);
    expect(argAt).toBeLessThan(dockerfile.indexOf('FROM '));
    expect(dockerfile).toMatch(/^FROM \$\{NODE_IMAGE\} AS build$/m);
  });

  it('copies only paths that exist', () => {
    for (const m of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const source of m[1]!.split(/\s+/)) expect(existsSync(join(root, source))).toBe(true);
    }
  });

  it('runs as a non-root user the compiled entry point of the chosen app', () => {
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toContain('dist/apps/$APP/src/main.js');
    expect(readFileSync(join(root, 'tsconfig.build.json'), 'utf8')).toContain('"apps/**/*.ts"');
  });
});
