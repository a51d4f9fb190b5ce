import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { parse } from 'yaml';
import { contractPath } from '../../../contracts/src/index.js';
import { CodeSuggestionsTokensController } from './ai-access/code-suggestions-tokens.controller.js';
import { ControlController } from './control/control.controller.js';
import { HealthController } from './health/health.controller.js';
import { OidcController } from './oidc/oidc.controller.js';
import { SessionsController } from './sessions/sessions.controller.js';
import { ApplicationSettingsController } from './settings/application-settings.controller.js';
import { UsersController } from './users/users.controller.js';

const FILE = contractPath('openapi', 'gitlab.yaml');
const doc = parse(readFileSync(FILE, 'utf8')) as {
  openapi: string;
  tags: Array<{ name: string; description: string }>;
  paths: Record<string, Record<string, { tags?: string[]; security?: unknown[] }>>;
};
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

/** Every route the controllers declare, as "method /openapi/{path}". */
function implementedRoutes(): string[] {
  const controllers = [
    ApplicationSettingsController,
    CodeSuggestionsTokensController,
    ControlController,
    HealthController,
    OidcController,
    SessionsController,
    UsersController,
  ];
  const routes: string[] = [];
  for (const controller of controllers) {
    const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '/');
    for (const name of Object.getOwnPropertyNames(controller.prototype)) {
      const handler = (controller.prototype as unknown as Record<string, unknown>)[name];
      if (typeof handler !== 'function' || name === 'constructor') continue;
      const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (path === undefined || method === undefined) continue;
      const full = `/${[base, path].join('/')}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1').replace(/:([A-Za-z_]+)/g, '{$1}');
      routes.push(`${RequestMethod[method].toLowerCase()} ${full}`);
    }
  }
  return routes.sort();
}

function documentedRoutes(): string[] {
  return Object.entries(doc.paths)
    .flatMap(([path, item]) => Object.keys(item).filter((m) => HTTP_METHODS.includes(m)).map((m) => `${m} ${path}`))
    .sort();
}

function refsIn(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => refsIn(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refsIn(v, out);
    }
  }
  return out;
}

describe('contracts/openapi/gitlab.yaml', () => {
  it('is OpenAPI 3.1', () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
  });

  it('documents exactly the routes the app implements', () => {
    const implemented = implementedRoutes();
    expect(implemented.length).toBeGreaterThan(15);
    expect(documentedRoutes()).toEqual(implemented);
  });

  it('references the contract schemas by relative path, and every reference resolves', () => {
    const refs = refsIn(doc);
    const external = refs.filter((r) => !r.startsWith('#'));
    expect(external.length).toBeGreaterThan(5);
    for (const ref of external) {
      expect(ref).toMatch(/^\.\.\/schemas\/[a-z-]+\.schema\.json$/);
      expect(existsSync(resolve(dirname(FILE), ref))).toBe(true);
    }
    for (const ref of refs.filter((r) => r.startsWith('#/'))) {
      const target = ref
        .slice(2)
        .split('/')
        .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
      expect({ ref, found: target !== undefined }).toEqual({ ref, found: true });
    }
  });

  it('puts the control API in the harness-control tag, marked never for production, behind its token', () => {
    expect(doc.tags.find((t) => t.name === 'harness-control')?.description).toMatch(/never for production/i);
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (!HTTP_METHODS.includes(method)) continue;
        const isControl = path.startsWith('/-/harness/');
        expect({ route: `${method} ${path}`, control: op.tags?.includes('harness-control') ?? false }).toEqual({ route: `${method} ${path}`, control: isControl });
        if (isControl) expect(op.security).toEqual([{ harnessControl: [] }]);
      }
    }
  });
});
