/**
 * The checks every app's OpenAPI document must pass, shared by the apps' specs: OpenAPI 3.1,
 * exactly the routes the running app serves (read from Fastify's route table as Nest registers
 * them, control API on, so a route nobody documented fails), every $ref resolving (external ones
 * to the contract's JSON Schemas, never copies), and the harness control routes tagged as such.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { contractPath, PATH } from '#contracts';
import type { App, AppDeps } from '../app-definition.js';
import { createHttpApp } from '../bootstrap.js';
import type { ConfigSource, ServerConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { TEST_CONTROL_TOKEN } from './app.js';

export interface OpenApiDocument {
  openapi: string;
  tags?: Array<{ name: string; description?: string }>;
  paths: Record<string, Record<string, { tags?: string[]; security?: unknown[] }>>;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

export function loadOpenApi(file: string): { path: string; doc: OpenApiDocument } {
  const path = contractPath('openapi', file);
  return { path, doc: parse(readFileSync(path, 'utf8')) as OpenApiDocument };
}

/**
 * "method /path/{param}" of every route `app` serves when configured from `env` with the control
 * API on: Fastify's onRoute hook sees each route Nest registers while the app initialises (no
 * port is bound). The HEAD route Fastify adds to every GET route is not an operation of its own.
 */
export async function servedRoutes<C extends ServerConfig, D extends AppDeps>(app: App<C, D>, env: ConfigSource = {}): Promise<string[]> {
  const config = app.definition.load({ PORT: '0', LOG_LEVEL: 'silent', HARNESS_CONTROL_TOKEN: TEST_CONTROL_TOKEN, ...env });
  const logger = createLogger({ app: app.definition.name, level: 'silent' });
  const nest = await createHttpApp({ module: app.module(config, { logger } as D), logger });
  const routes = new Set<string>();
  nest
    .getHttpAdapter()
    .getInstance()
    .addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) routes.add(`${method.toLowerCase()} ${route.url.replace(/:([A-Za-z_]\w*)/g, '{$1}')}`);
    });
  try {
    await nest.init();
  } finally {
    await nest.close();
  }
  return [...routes].filter((r) => !(r.startsWith('head ') && routes.has(`get ${r.slice('head '.length)}`))).sort();
}

/** Routes served but not documented, and documented but not served (both empty when they agree). */
export function routeDifferences(doc: OpenApiDocument, served: readonly string[]): { undocumented: string[]; unserved: string[] } {
  const documented = documentedRoutes(doc);
  return { undocumented: served.filter((r) => !documented.includes(r)), unserved: documented.filter((r) => !served.includes(r)) };
}

/**
 * The documented operations a Nest router serves: all but those marked `x-engine-route` (answered
 * by an engine mounted before Nest's router, e.g. the gitlab app's OAuth server, which the
 * app's own tests cover).
 */
export function documentedRoutes(doc: OpenApiDocument): string[] {
  return Object.entries(doc.paths)
    .flatMap(([path, item]) =>
      Object.entries(item as Record<string, unknown>)
        .filter(([m, op]) => HTTP_METHODS.includes(m) && !(op && typeof op === 'object' && 'x-engine-route' in op))
        .map(([m]) => `${m} ${path}`),
    )
    .sort();
}

export function refsIn(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => refsIn(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refsIn(v, out);
    }
  }
  return out;
}

/** The value a JSON pointer (RFC 6901, e.g. `/$defs/faults`) names in a document, or undefined. */
function pointed(document: unknown, pointer: string): unknown {
  return pointer
    .slice(1)
    .split('/')
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], document);
}

/**
 * Registers the shared tests for one app's document (call inside a spec file). `configs` are
 * the configurations whose routes together are the app's (e.g. both GitLab modes); each is
 * environment-style settings over a free port and the control API on.
 */
export function describeOpenApiContract<C extends ServerConfig, D extends AppDeps>(file: string, app: App<C, D>, configs: ConfigSource[] = [{}]): void {
  const { path, doc } = loadOpenApi(file);
  let served: string[] = [];
  beforeAll(async () => {
    served = [...new Set((await Promise.all(configs.map((env) => servedRoutes(app, env)))).flat())].sort();
  });

  describe(`contracts/openapi/${file}`, () => {
    it('is OpenAPI 3.1', () => {
      expect(doc.openapi).toMatch(/^3\.1\./);
    });

    it('documents exactly the routes the app serves', () => {
      expect(served.length).toBeGreaterThan(0);
      expect(routeDifferences(doc, served)).toEqual({ undocumented: [], unserved: [] });
    });

    it('references the contract schema files (no copies) and resolves every $ref', () => {
      const refs = refsIn(doc);
      const external = refs.filter((r) => !r.startsWith('#'));
      expect(external.length).toBeGreaterThan(0);
      for (const ref of external) {
        // A contract schema file, or one of its definitions (harness-control.schema.json#/$defs/<name>).
        expect(ref).toMatch(/^\.\.\/schemas\/[a-z-]+\.schema\.json(#\/\$defs\/[A-Za-z]+)?$/);
        const [file, pointer] = ref.split('#') as [string, string | undefined];
        const target = resolve(dirname(path), file);
        expect([ref, existsSync(target)]).toEqual([ref, true]);
        if (pointer) expect([ref, pointed(JSON.parse(readFileSync(target, 'utf8')), pointer) !== undefined]).toEqual([ref, true]);
      }
      for (const ref of refs.filter((r) => r.startsWith('#/'))) {
        expect([ref, pointed(doc, ref.slice(1)) !== undefined]).toEqual([ref, true]);
      }
    });

    it('puts the control API, and only it, in the harness-control tag, marked never for production, behind its token', () => {
      expect(doc.tags?.find((t) => t.name === 'harness-control')?.description).toMatch(/never for production/i);
      for (const [route, item] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(item)) {
          if (!HTTP_METHODS.includes(method)) continue;
          const isControl = route.startsWith(`${PATH.HARNESS_CONTROL_PREFIX}/`);
          expect({ route: `${method} ${route}`, control: op.tags?.includes('harness-control') ?? false }).toEqual({ route: `${method} ${route}`, control: isControl });
          if (isControl) expect({ route: `${method} ${route}`, security: op.security }).toEqual({ route: `${method} ${route}`, security: [{ harnessControl: [] }] });
        }
      }
    });
  });
}
