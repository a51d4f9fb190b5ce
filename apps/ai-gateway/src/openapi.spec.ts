import 'reflect-metadata';
import { RequestMethod, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { contractPath } from '../../../contracts/src/index.js';
import { CompletionsController } from './completions/completions.controller.js';
import { ControlController } from './control/control.controller.js';
import { MonitoringController } from './monitoring/monitoring.controller.js';

const DOCUMENT = contractPath('openapi', 'ai-gateway.yaml');
const doc = parse(readFileSync(DOCUMENT, 'utf8')) as { openapi: string; paths: Record<string, Record<string, { tags?: string[] }>> };

/** "METHOD /path" for every route a controller declares, read from Nest's own metadata. */
function routesOf(controllers: Type[]): string[] {
  const routes: string[] = [];
  for (const controller of controllers) {
    const prefix = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '/');
    for (const name of Object.getOwnPropertyNames(controller.prototype)) {
      const handler = (controller.prototype as Record<string, unknown>)[name];
      if (typeof handler !== 'function' || name === 'constructor') continue;
      const paths = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
      if (paths === undefined) continue;
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
      for (const path of [paths].flat()) routes.push(`${method} ${`/${prefix}/${path}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1')}`);
    }
  }
  return routes.sort();
}

function refsOf(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => refsOf(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refsOf(v, out);
    }
  }
  return out;
}

describe('contracts/openapi/ai-gateway.yaml', () => {
  it('is OpenAPI 3.1', () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
  });

  it('documents exactly the routes the gateway serves', () => {
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    expect(documented).toEqual(routesOf([CompletionsController, MonitoringController, ControlController]));
  });

  it('references the contract schema files (no copies) and resolves every $ref', () => {
    const refs = refsOf(doc);
    const external = refs.filter((r) => !r.startsWith('#'));
    expect(external.length).toBeGreaterThan(0);
    for (const ref of external) {
      expect(ref).toMatch(/^\.\.\/schemas\/[a-z-]+\.schema\.json$/);
      expect(existsSync(resolve(dirname(DOCUMENT), ref))).toBe(true);
    }
    for (const ref of refs.filter((r) => r.startsWith('#/'))) {
      const target = ref
        .slice(2)
        .split('/')
        .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc);
      expect([ref, target !== undefined]).toEqual([ref, true]);
    }
  });

  it('tags every control route harness-control', () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (!path.startsWith('/-/harness')) continue;
      for (const op of Object.values(ops)) expect(op.tags).toEqual(['harness-control']);
    }
  });
});
