import { OAUTH_PATH } from '#contracts';
import { loadOpenApi } from '#common/testing/openapi-contract';
import { handledByEngine } from './provider-mount.js';

/** The operations contracts/openapi/gitlab.yaml says the engine answers (`x-engine-route`). */
function engineOperations(): Array<[string, string]> {
  const { doc } = loadOpenApi('gitlab.yaml');
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item as Record<string, object>)
      .filter(([, op]) => op && typeof op === 'object' && 'x-engine-route' in op)
      .map(([method]) => [method.toUpperCase(), path.replace(/\{[^}]+\}/g, 'some-id')] as [string, string]),
  );
}

describe('handledByEngine', () => {
  it('hands every x-engine-route operation of the document to the engine', () => {
    const ops = engineOperations();
    expect(ops.length).toBeGreaterThan(5);
    for (const [method, path] of ops) expect([method, path, handledByEngine(method, path, 'rfc7591')]).toEqual([method, path, true]);
  });

  it("keeps GitLab's own routes, the pages and the discovery documents with Nest", () => {
    for (const path of [OAUTH_PATH.TOKEN_INFO, OAUTH_PATH.JWKS, OAUTH_PATH.OPENID_CONFIGURATION, OAUTH_PATH.AUTHORIZATION_SERVER_METADATA, `${OAUTH_PATH.INTERACTION}/uid`, `${OAUTH_PATH.AUTHORIZE}/uid/extra`, OAUTH_PATH.IDE_CALLBACK, '/oauth/tokenx']) {
      expect([path, handledByEngine('GET', path, 'rfc7591')]).toEqual([path, false]);
    }
  });

  it("leaves POST /oauth/register to GitLab's own controller in gitlab registration mode only", () => {
    expect(handledByEngine('POST', OAUTH_PATH.REGISTER, 'gitlab')).toBe(false);
    expect(handledByEngine('POST', OAUTH_PATH.REGISTER, 'rfc7591')).toBe(true);
  });
});
