import { Controller, Delete, Get, Module, Post } from '@nestjs/common';
import { z } from 'zod';
import { defineApp } from '../app-definition.js';
import { type ConfigOf, defineConfig, loadConfig, serverSettings } from '../config.js';
import { type OpenApiDocument, routeDifferences, servedRoutes } from './openapi-contract.js';

/** The route check itself: it must see what the running app serves, not what a list says. */
const settings = defineConfig({ app: 'routes', settings: { ...serverSettings(0), extra: { env: 'EXTRA', flag: 'extra', doc: 'serve the extra route', schema: z.enum(['on', 'off']).default('off') } } });
type RoutesConfig = ConfigOf<typeof settings.settings>;

@Controller('items')
class ItemsController {
  @Get() list() {
    return [];
  }
  @Delete(':id') remove() {
    return undefined;
  }
}

/** A route someone added without documenting it. */
@Controller('undocumented')
class UndocumentedController {
  @Post() create() {
    return {};
  }
}

@Module({ controllers: [ItemsController] })
class ItemsModule {}

@Module({ controllers: [UndocumentedController] })
class UndocumentedModule {}

const routesApp = defineApp<RoutesConfig>({
  name: 'routes',
  summary: 'an app whose routes the OpenAPI check reads',
  config: settings,
  load: (source) => loadConfig(settings, source),
  errorShape: (_status, reason) => ({ error: reason }),
  imports: (config) => [ItemsModule, ...(config.extra === 'on' ? [UndocumentedModule] : [])],
});

const documented: OpenApiDocument = {
  openapi: '3.1.0',
  paths: {
    '/items': { get: {} },
    '/items/{id}': { delete: {} },
    '/-/harness/requests': { get: {} },
    '/-/harness/reset': { post: {} },
  },
};

describe('the OpenAPI route check', () => {
  it('reads the routes from the running app: parameters as {name}, the control API included, no HEAD of its own', async () => {
    expect(await servedRoutes(routesApp)).toEqual(['delete /items/{id}', 'get /-/harness/requests', 'get /items', 'post /-/harness/reset']);
    expect(routeDifferences(documented, await servedRoutes(routesApp))).toEqual({ undocumented: [], unserved: [] });
  });

  it('fails an app that serves a route its document does not have', async () => {
    expect(routeDifferences(documented, await servedRoutes(routesApp, { EXTRA: 'on' }))).toEqual({ undocumented: ['post /undocumented'], unserved: [] });
  });

  it('fails a document that names a route the app does not serve', async () => {
    const withGhost: OpenApiDocument = { ...documented, paths: { ...documented.paths, '/ghost': { put: {} } } };
    expect(routeDifferences(withGhost, await servedRoutes(routesApp))).toEqual({ undocumented: [], unserved: ['put /ghost'] });
  });
});
