/**
 * The checks every app's OpenAPI document must pass, shared by the apps' specs: OpenAPI 3.1,
 * exactly the routes the app's controllers declare (read from Nest's own metadata), every $ref
 * resolving (external ones to the contract's JSON Schemas, never copies), and the harness
 * control routes tagged as such.
 */
import 'reflect-metadata';
import { RequestMethod, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { contractPath, PATH } from '../../../../contracts/src/index.js';

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

/** "method /path/{param}" for every route the controllers declare. */
export function implementedRoutes(controllers: Type[]): string[] {
  const routes: string[] = [];
  for (const controller of controllers) {
    const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '/');
    for (const name of Object.getOwnPropertyNames(controller.prototype)) {
      const handler = (controller.prototype as Record<string, unknown>)[name];
      if (typeof handler !== 'function' || name === 'constructor') continue;
      const paths = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (paths === undefined || method === undefined) continue;
      for (const path of [paths].flat()) {
        const full = `/${base}/${path}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1').replace(/:([A-Za-z_]+)/g, '{$1}');
        routes.push(`${RequestMethod[method].toLowerCase()} ${full}`);
      }
    }
  }
  return routes.sort();
}

export function documentedRoutes(doc: OpenApiDocument): string[] {
  return Object.entries(doc.paths)
    .flatMap(([path, item]) => Object.keys(item).filter((m) => HTTP_METHODS.includes(m)).map((m) => `${m} ${path}`))
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

/** Registers the shared tests for one app's document (call inside a spec file). */
export function describeOpenApiContract(file: string, controllers: Type[]): void {
  const { path, doc } = loadOpenApi(file);

  describe(`contracts/openapi/${file}`, () => {
    it('is OpenAPI 3.1', () => {
      expect(doc.openapi).toMatch(/^3\.1\./);
    });

    it('documents exactly the routes the app serves', () => {
      expect(documentedRoutes(doc)).toEqual(implementedRoutes(controllers));
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
