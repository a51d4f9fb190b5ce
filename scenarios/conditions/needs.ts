/**
 * The needs conditions declare: what a check must have before it can verify anything, each
 * obtained once per scenario run by the first check that needs it. A need that the target
 * profile cannot give (no credential, no control API) is not applicable; one that the target
 * fails to provide (the token endpoint answered 500) blocks the checks that need it.
 */
import { HEADER, PATH, type Jwks, type OpenIdConfiguration, type Role } from '#contracts';
import { expectStatus, fail } from '../checks/expect.js';
import { decodeJwt, type DecodedJwt } from '../checks/jwt.js';
import { reachable } from '../checks/urls.js';
import { signIn, type BrowserSession } from '../clients/gitlab-session.js';
import { need, needFamily, type Need, type NeedEnv } from '../runner/condition.js';
import type { ControlClient, GitlabCredentials, HttpResponse } from '../runner/types.js';

export type PatPurpose = keyof GitlabCredentials['personalAccessTokens'];
export type GitlabRole = Extract<Role, 'gitlab-saas' | 'gitlab-sm'>;

/** A role's harness control API: not applicable for an external implementation without one. */
export const controlOf = needFamily((role: Role) =>
  need<ControlClient>(`the harness control API of ${role}`, async (env) => {
    const target = env.target(role);
    if (!target.control) {
      return env.notApplicable(`${role} at ${target.url} is an external implementation without the harness control API (or the profile gives no control_token)`);
    }
    return target.control;
  }),
);

/** A personal access token of the profile, by purpose. */
export const patOf = needFamily((key: `${GitlabRole}:${PatPurpose}`) => {
  const [role, purpose] = key.split(':') as [GitlabRole, PatPurpose];
  return need<string>(`the ${role} personal access token '${purpose}'`, async (env) => {
    const token = env.credentials(role).personalAccessTokens[purpose];
    return token ?? env.notApplicable(`the target profile gives no ${role} credentials.personal_access_tokens.${purpose}`);
  });
});

/** The PAT an IDE is configured with: ai_features (what IDE extensions ask for), else api. */
export const idePatOf = needFamily((role: GitlabRole) =>
  need<string>(`a ${role} personal access token with ai_features or api`, async (env) => {
    const pats = env.credentials(role).personalAccessTokens;
    return pats.ai_features ?? pats.api ?? env.notApplicable(`the target profile gives no ${role} personal access token (ai_features or api)`);
  }),
);

export const serviceAccessToken = need<string>('the service access token stored on gitlab-sm', async (env) => {
  return env.credentials('gitlab-sm').serviceAccessToken ?? env.notApplicable('the target profile gives no gitlab-sm credentials.service_access_token');
});

export interface Discovery {
  doc: OpenIdConfiguration;
  res: HttpResponse;
}

/** The issuer's OpenID discovery document, as a gateway reads it (200 JSON naming jwks_uri). */
export const discoveryOf = needFamily((role: GitlabRole) =>
  need<Discovery>(`the discovery document of ${role}`, async (env) => {
    const res = await env.http('harness', role).request({ method: 'GET', path: PATH.OPENID_CONFIGURATION, label: 'GET openid-configuration' });
    expectStatus(res, 200);
    const doc = res.json as OpenIdConfiguration | undefined;
    if (!doc || typeof doc.jwks_uri !== 'string') fail(`${res.request} names no jwks_uri`, { expected: { jwks_uri: 'a URL' }, actual: res.json ?? res.text, res });
    return { doc, res };
  }),
);

export interface IssuerKeys {
  jwks: Jwks;
  res: HttpResponse;
  /** Paths on the issuer a gateway fetches keys from (discovery, JWKS), for counting its fetches. */
  keyPaths: string[];
  jwksPath: string;
}

/** The issuer's JWKS, fetched from the discovery's jwks_uri. */
export const keysOf = needFamily((role: GitlabRole) =>
  need<IssuerKeys>(`the JWKS of ${role}`, async (env) => {
    const { doc } = await env.need(discoveryOf(role));
    const res = await env.http('harness', role).request({ method: 'GET', path: reachable(env.target(role), doc.jwks_uri), label: 'GET JWKS' });
    expectStatus(res, 200);
    const jwks = res.json as Jwks | undefined;
    if (!jwks || !Array.isArray(jwks.keys)) fail(`${res.request} is not a JWK Set`, { expected: { keys: '[...]' }, actual: res.json ?? res.text, res });
    const jwksPath = new URL(doc.jwks_uri).pathname;
    return { jwks, res, jwksPath, keyPaths: [PATH.OPENID_CONFIGURATION, jwksPath] };
  }),
);

export interface AiToken {
  token: string;
  decoded: DecodedJwt;
  res: HttpResponse;
}

/** POST /api/v4/code_suggestions/tokens as the IDE does, with these headers; the token must come back. */
export async function requestAiToken(env: NeedEnv, role: GitlabRole, headers: Record<string, string>, label: string): Promise<AiToken> {
  return aiTokenFrom(await env.http('ide', role).request({ method: 'POST', path: PATH.GITLAB_CODE_SUGGESTIONS_TOKENS, headers, label }));
}

/** The AI access token of a token answer in the shape of POST /api/v4/code_suggestions/tokens (200 or 201, access_token a JWT). */
export function aiTokenFrom(res: HttpResponse): AiToken {
  expectStatus(res, [200, 201]);
  const token = (res.json as { access_token?: unknown } | undefined)?.access_token;
  if (typeof token !== 'string') fail(`${res.request} returned no access_token`, { expected: { access_token: 'a JWT' }, actual: res.json ?? res.text, res });
  return { token, decoded: decodeJwt(token, `the access_token of ${res.request}`), res };
}

/** The AI access token an IDE holds: obtained with its PAT from the token endpoint (seed 000 option 2, seed 001). */
export const aiTokenOf = needFamily((role: GitlabRole) =>
  need<AiToken>(`an AI access token from ${role}`, async (env) => {
    const pat = await env.need(idePatOf(role));
    return requestAiToken(env, role, { [HEADER.AUTHORIZATION]: `Bearer ${pat}` }, `POST code_suggestions/tokens at ${role} (PAT)`);
  }),
);

/** A signed-in browser session of the profile's user (cookie + CSRF token), as the Web IDE front end has. */
export const browserSessionOf = needFamily((role: GitlabRole) =>
  need<BrowserSession>(`a signed-in browser session at ${role}`, async (env) => {
    const user = env.credentials(role).user ?? env.notApplicable(`the target profile gives no ${role} user to sign in with`);
    return signIn(env.http('ide', role), user.username, user.password);
  }),
);

/** The Need type of a family member, for condition input declarations. */
export type NeedOf<F extends (key: never) => Need<unknown>> = ReturnType<F> extends Need<infer T> ? T : never;
