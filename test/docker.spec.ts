/**
 * Static validation of docker/ (no container engine is needed): the compose file runs the
 * same entry points as the embedded stack, waits on healthchecks, publishes on loopback only,
 * the Dockerfile builds what the services start, and the scripts keep their interface.
 * test/containers.e2e-spec.ts runs all of it for real.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DEFAULT_PORT, PATH, projectRoot, type Role } from '#contracts';

const root = projectRoot();
// Compose files use YAML merge keys (<<: *anchor), which YAML 1.2 parsers resolve only when asked.
const compose = parse(readFileSync(join(root, 'docker', 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const dockerfile = readFileSync(join(root, 'docker', 'Dockerfile'), 'utf8');
const lib = readFileSync(join(root, 'docker', 'lib.sh'), 'utf8');

interface Service {
  build?: { context: string; dockerfile: string; target?: string; args?: Record<string, string> };
  profiles?: string[];
  command?: string[];
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
  // The roles: what a plain `up` starts (the load generator waits behind its profile).
  const services = Object.entries(compose.services).filter(([, service]) => !service.profiles);

  it('has one service per role, and the load generator behind the `load` profile', () => {
    expect(services.map(([name]) => name).sort()).toEqual(['ai-gateway', 'fake-model', 'gitlab-saas', 'gitlab-sm']);
    expect(compose.services.load?.profiles).toEqual(['load']);
  });

  it.each(services)('%s starts an app that exists, on its default port', (name, service) => {
    const app = service.environment.APP!;
    expect(existsSync(join(root, 'apps', app, 'src', 'main.ts'))).toBe(true);
    expect(Number(service.environment.PORT)).toBe(DEFAULT_PORT[name as Role]);
    expect(service.environment.HOST).toBe('0.0.0.0');
    expect(service.container_name).toBeUndefined();
  });

  it.each(services)('%s publishes its port on loopback only, on the default port unless <ROLE>_HOST_PORT moves it', (name, service) => {
    const port = DEFAULT_PORT[name as Role];
    const variable = `${name.toUpperCase().replaceAll('-', '_')}_HOST_PORT`;
    expect(service.ports).toEqual([`127.0.0.1:\${${variable}:-${port}}:${port}`]);
  });

  it.each(services)('%s takes the control token from the environment', (_name, service) => {
    expect(service.environment.HARNESS_CONTROL_TOKEN).toMatch(/^\$\{HARNESS_CONTROL_TOKEN:-[^}]{16,}\}$/);
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

  it('runs the tag build-image.sh builds, and builds it from docker/Dockerfile with the base as an argument', () => {
    for (const [, service] of services) {
      expect(service.image).toBe('localhost/ai-auth-harness:local');
      expect(service.build).toEqual({ context: '..', dockerfile: 'docker/Dockerfile', args: { NODE_IMAGE: '${NODE_IMAGE:-node:20-bookworm-slim}' } });
    }
    expect(lib).toContain('readonly APP_IMAGE=localhost/ai-auth-harness:local');
    expect(lib).toContain(`readonly LOAD_IMAGE=${compose.services.load!.image}`);
  });
});

describe('the compose load profile', () => {
  const load = compose.services.load!;
  const demo = readFileSync(join(root, 'contracts', 'fixtures', 'demo-data.yaml'), 'utf8');

  it("builds the Dockerfile's load stage, with the Locust version load/install-locust.sh pins", () => {
    expect(load.build).toMatchObject({ context: '..', dockerfile: 'docker/Dockerfile', target: 'load' });
    const pinned = /LOCUST_VERSION="\$\{LOCUST_VERSION:-([0-9.]+)\}"/.exec(readFileSync(join(root, 'load', 'install-locust.sh'), 'utf8'))?.[1];
    expect(pinned).toBeDefined();
    expect(dockerfile).toContain(`ARG LOCUST_VERSION=${pinned}`);
    // The apps' image stays the default target: the load stage comes before the runtime stage.
    expect(dockerfile.indexOf('AS load')).toBeLessThan(dockerfile.indexOf('AS runtime'));
    expect(dockerfile.trimEnd().split('\n').filter((l) => l.startsWith('FROM ')).at(-1)).toMatch(/AS runtime$/);
  });

  it('runs the keystroke scenario file against the gateway service, once it and SaaS are healthy', () => {
    const file = load.command![load.command!.indexOf('-f') + 1]!;
    expect(file).toBe('/locust/keystroke.py');
    expect(existsSync(join(root, 'load', 'locust', 'keystroke.py'))).toBe(true);
    expect(load.command).toEqual(expect.arrayContaining(['--headless', '--host', 'http://ai-gateway:5052']));
    expect(load.environment).toMatchObject({ LOAD_SCENARIO: 'keystroke', LOAD_GATEWAY_URL: 'http://ai-gateway:5052', LOAD_SAAS_URL: compose.services['gitlab-saas']!.environment.GITLAB_URL });
    expect(Object.keys(load.depends_on ?? {}).sort()).toEqual(['ai-gateway', 'gitlab-saas']);
    expect(load.ports).toBeUndefined();
  });

  it('asks for tokens with ai_features tokens of the demo data', () => {
    for (const pat of [load.environment.LOAD_SAAS_PAT!, load.environment.LOAD_SM_PAT!]) expect(demo).toMatch(new RegExp(`token: ${pat}, scopes: \\[ai_features\\]`));
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

  it('runs as a non-root user the compiled entry point of the chosen app, creating the user on a base without one', () => {
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^RUN id -u node .*\|\| useradd --uid 1000 /m);
    expect(dockerfile).toContain('dist/apps/$APP/src/main.js');
    expect(readFileSync(join(root, 'tsconfig.build.json'), 'utf8')).toContain('"apps/**/*.ts"');
  });

  it('has a HEALTHCHECK of its own, in the runtime stage', () => {
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('FROM '));
    expect(runtime).toMatch(/^HEALTHCHECK .*CMD \["node", "\/app\/docker\/healthcheck\.mjs"\]$/m);
  });

  it('mounts the CA only as a build secret for the npm steps, and never copies it into a layer', () => {
    const npmSteps = dockerfile.match(/^RUN --mount=type=secret,id=npm_ca,required=false\b[^]*?npm ci\b/gm) ?? [];
    expect(npmSteps).toHaveLength(2);
    expect(dockerfile).not.toMatch(/^(COPY|ADD|ENV)\b.*(ca-certificates|npm_ca|\.crt|\.pem)/m);
  });

  it('keeps node_modules, dist and the virtualenvs out of the build context', () => {
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git', '.venv', '.venv-load']));
  });
});

describe('docker/healthcheck.mjs', () => {
  let server: Server;
  let port: number;
  const seen: string[] = [];

  beforeAll(async () => {
    // 200 on the fake model's health path only: any other path is the wrong URL for the role.
    server = createServer((req, res) => {
      seen.push(req.url ?? '');
      res.writeHead(req.url === PATH.MODEL_HEALTHZ ? 200 : 503).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** The script's exit code and stderr with `env` (a child: the server answers in this process). */
  const check = (env: Record<string, string>, args: string[] = []) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [join(root, 'docker', 'healthcheck.mjs'), ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.once('exit', (code) => resolve({ code, stderr }));
    });

  it('checks the health endpoint of the image\'s APP on its PORT when given no URL', async () => {
    expect((await check({ APP: 'fake-model', PORT: String(port) })).code).toBe(0);
    expect((await check({ APP: 'ai-gateway', PORT: String(port) })).code).toBe(1);
    expect(seen.slice(-2)).toEqual([PATH.MODEL_HEALTHZ, PATH.GATEWAY_HEALTHZ]);
  });

  it('checks the URL it is given, and fails on a port where nothing listens', async () => {
    expect((await check({}, [`http://127.0.0.1:${port}${PATH.MODEL_HEALTHZ}`])).code).toBe(0);
    server.close();
    expect((await check({}, [`http://127.0.0.1:${port}${PATH.MODEL_HEALTHZ}`])).code).toBe(1);
  });

  it('names the roles it knows when APP is none of them', async () => {
    const { code, stderr } = await check({ APP: 'nginx' });
    expect(code).toBe(1);
    expect(stderr).toContain('APP=nginx is none of gitlab, ai-gateway, fake-model');
  });

  it('knows the same health paths and default ports as the contracts', () => {
    const source = readFileSync(join(root, 'docker', 'healthcheck.mjs'), 'utf8');
    expect(source).toContain(`gitlab: { path: '${PATH.GITLAB_HEALTH}', port: process.env.GITLAB_MODE === 'saas' ? ${DEFAULT_PORT['gitlab-saas']} : ${DEFAULT_PORT['gitlab-sm']} }`);
    expect(source).toContain(`'ai-gateway': { path: '${PATH.GATEWAY_HEALTHZ}', port: ${DEFAULT_PORT['ai-gateway']} }`);
    expect(source).toContain(`'fake-model': { path: '${PATH.MODEL_HEALTHZ}', port: ${DEFAULT_PORT['fake-model']} }`);
  });
});

describe('docker/*.sh', () => {
  const scripts = ['prepare-host.sh', 'build-image.sh', 'compose-up.sh', 'compose-down.sh', 'compose-load.sh'];

  it.each(scripts)('%s is valid bash, executable, and sources the shared docker/lib.sh', (script) => {
    const file = join(root, 'docker', script);
    expect(spawnSync('bash', ['-n', file], { encoding: 'utf8' }).stderr).toBe('');
    expect(statSync(file).mode & 0o111).not.toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(/^\. docker\/lib\.sh$/m);
  });

  it('starts what outlives prepare-host.sh (the API service, the health ticker) outside the checkout, which may be deleted', () => {
    const script = readFileSync(join(root, 'docker', 'prepare-host.sh'), 'utf8');
    const detached = script.split('\n').filter((line) => /^\s*setsid /.test(line));
    expect(detached).toHaveLength(2);
    for (const line of detached) expect(line).toMatch(/^\s*setsid nohup env -C \/ /);
  });

  it('health-ticker.sh is valid bash and executable, and runs the healthchecks of starting containers only', () => {
    const file = join(root, 'docker', 'health-ticker.sh');
    expect(spawnSync('bash', ['-n', file], { encoding: 'utf8' }).stderr).toBe('');
    expect(statSync(file).mode & 0o111).not.toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('podman ps -q --filter health=starting');
    expect(readFileSync(join(root, 'docker', 'prepare-host.sh'), 'utf8')).toMatch(/^start_health_ticker$/m);
  });

  it('names the base image and the API socket the runner relies on, and a distinct exit code for "no containers here"', () => {
    expect(lib).toContain('readonly BASE_IMAGE=localhost/ai-auth-harness-base:bookworm-node20');
    expect(lib).toContain('readonly PODMAN_SOCKET=/run/podman/podman.sock');
    expect(lib).toContain('readonly EXIT_NO_CONTAINERS=3');
    expect(readFileSync(join(root, 'docker', 'prepare-host.sh'), 'utf8')).toMatch(/^echo "DOCKER_HOST=unix:\/\/\$PODMAN_SOCKET"$/m);
  });
});
