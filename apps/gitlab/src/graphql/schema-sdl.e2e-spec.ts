import { readFileSync } from 'node:fs';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import { printSchema } from 'graphql';
import { contractPath } from '#contracts';
import { type TestApp, startTestApp } from '#common/testing/app';
import { gitlab } from '../app.js';
import type { GitlabConfig } from '../config.js';

/**
 * The committed SDL (contracts/graphql/gitlab.graphql) is the schema the app serves, on both
 * deployments. After a deliberate schema change, regenerate it with
 * `UPDATE_GRAPHQL_SDL=1 node --experimental-vm-modules node_modules/jest/bin/jest.js schema-sdl`.
 */
describe('GraphQL SDL contract', () => {
  const sdlFile = contractPath('graphql', 'gitlab.graphql');

  it.each([
    [{ GITLAB_MODE: 'saas' }],
    [{ GITLAB_MODE: 'self-managed', SAAS_URL: 'http://127.0.0.1:9' }],
  ])('the running schema prints exactly contracts/graphql/gitlab.graphql (%j)', async (env) => {
    const gl: TestApp<GitlabConfig> = await startTestApp(gitlab, env);
    try {
      const printed = `${printSchema(gl.app.get(GraphQLSchemaHost).schema)}\n`;
      if (process.env.UPDATE_GRAPHQL_SDL === '1') (await import('node:fs')).writeFileSync(sdlFile, printed);
      expect(printed).toBe(readFileSync(sdlFile, 'utf8'));
    } finally {
      await gl.close();
    }
  });
});
