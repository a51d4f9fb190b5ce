/**
 * Steps 6-7 from the issuer's side: what the gateway will fetch when its key cache is cold.
 */
import { JWKS_MAX_AGE_SECONDS, PATH, SCHEMA, type Jwks, type OpenIdConfiguration } from '../../../contracts/src/index.js';
import { expectHeader, expectSchema, expectStatus, expectThat } from '../../checks/expect.js';
import { reachable } from '../../checks/urls.js';
import type { ScenarioContext } from '../../runner/types.js';
import type { CustomEndpointState } from './state.js';

export async function discoveryChecks(ctx: ScenarioContext, state: CustomEndpointState): Promise<void> {
  const issuer = ctx.target('gitlab-saas');
  // The harness reads what a gateway would read; the gateway's own fetches are observed separately.
  const gitlab = ctx.http('harness', 'gitlab-saas');

  state.discovery = await ctx.check(
    {
      id: 'serves-openid-configuration',
      title: 'The issuer publishes OpenID discovery metadata whose issuer is its own URL and which names jwks_uri',
      severity: 'MUST',
      clauses: ['gitlab.discovery', 'oidc-discovery.4.3'],
    },
    async () => {
      const res = await gitlab.request({ method: 'GET', path: PATH.OPENID_CONFIGURATION, label: 'GET openid-configuration' });
      expectStatus(res, 200);
      expectSchema(res.json, SCHEMA.OPENID_CONFIGURATION, 'the discovery document', res);
      const doc = res.json as OpenIdConfiguration;
      expectThat(doc.issuer === issuer.issuer, `discovery issuer must be identical to the issuer URL (${issuer.issuer})`, {
        expected: { issuer: issuer.issuer },
        actual: { issuer: doc.issuer },
        res,
      });
      return doc;
    },
  );

  state.jwks = await ctx.check(
    {
      id: 'serves-jwks-in-gitlab-shape',
      title: 'jwks_uri returns RSA signing keys in GitLab\'s shape (kty, kid, e, n, use sig, alg RS256) and no private key members',
      severity: 'MUST',
      clauses: ['gitlab.jwks.shape', 'rfc-7517.5', 'seed-000.o2.step-6'],
      dependsOn: ['serves-openid-configuration'],
    },
    async () => {
      const res = await gitlab.request({ method: 'GET', path: reachable(issuer, state.discovery!.jwks_uri), label: 'GET JWKS' });
      expectStatus(res, 200);
      expectSchema(res.json, SCHEMA.JWKS, 'the JWKS', res);
      const jwks = res.json as Jwks;
      expectThat(jwks.keys.length > 0, 'the JWKS has no keys: no token can be verified', { expected: 'at least one key', actual: jwks, res });
      return jwks;
    },
  );
  if (state.discovery) {
    state.keyPaths = [PATH.OPENID_CONFIGURATION, new URL(state.discovery.jwks_uri).pathname];
  }

  await ctx.check(
    {
      id: 'lets-the-jwks-be-cached-for-a-day',
      title: 'The JWKS response may be cached publicly for 24 hours (Cache-Control: max-age=86400, public)',
      severity: 'SHOULD',
      clauses: ['gitlab.jwks.shape'],
      dependsOn: ['serves-jwks-in-gitlab-shape'],
    },
    async () => {
      const res = await gitlab.request({ method: 'GET', path: reachable(issuer, state.discovery!.jwks_uri), label: 'GET JWKS (cache headers)' });
      expectHeader(res, 'Cache-Control', `to allow public caching for ${JWKS_MAX_AGE_SECONDS} s`, (v) => {
        const directives = (v ?? '').split(',').map((d) => d.trim().toLowerCase());
        return directives.includes('public') && directives.includes(`max-age=${JWKS_MAX_AGE_SECONDS}`);
      });
    },
  );
}
