/**
 * Conditions on seed 000 option 3's IDE controller (POST /-/ide/code_suggestions/tokens): a
 * GitLab web controller, not the REST API, so it authorises the browser session (cookie) and
 * that session's CSRF token, never a personal access token, and signs the AI access token
 * itself. What it signs must be what option 2's endpoint signs (the gateway verifies both by
 * the same rules), so its token is compared with option 2's rather than with literals.
 *
 * Every refusal is paired, in the same check, with the accepted request it varies. Real GitLab
 * has no such controller (GitLab chose option 2): against an external instance that answers
 * 404/405 at its path, the checks that need its token are not applicable, saying so.
 */
import { HEADER, SCHEMA, WEB_IDE_PATH } from '#contracts';
import { expectHeader, expectSchema, expectThat, fail, shownBody } from '../checks/expect.js';
import { condition, need, needFamily, type NeedEnv } from '../runner/condition.js';
import type { HttpRequest, HttpResponse } from '../runner/types.js';
import { expectControlAccepted } from './issuer.js';
import { aiTokenFrom, aiTokenOf, browserSessionOf, type AiToken, type GitlabRole } from './needs.js';
import { anotherSessionOf, type BrowserSession } from './web-session.js';

const TOKENS = WEB_IDE_PATH.TOKENS;
/** The Web IDE front end calls the controller with fetch and reads JSON (Devise answers such a request 401, not a redirect). */
const ACCEPT_JSON = { Accept: 'application/json' };

/** What the Web IDE front end sends: the session cookie and the session's CSRF token. */
export const sessionHeaders = (browser: BrowserSession): Record<string, string> => ({ ...ACCEPT_JSON, Cookie: browser.cookie, [HEADER.CSRF_TOKEN]: browser.csrfToken });

/** A request to the IDE controller from the Web IDE front end. */
export function callIdeController(env: NeedEnv, role: GitlabRole, headers: Record<string, string>, label: string, method: HttpRequest['method'] = 'POST'): Promise<HttpResponse> {
  return env.http('ide', role).request({ method, path: TOKENS, headers, label });
}

/** An external GitLab without the controller (404/405 at its path) is not applicable; our emulator must have it. */
function expectIdeControllerServed(env: NeedEnv, role: GitlabRole, res: HttpResponse): void {
  const target = env.target(role);
  if (!target.embedded && (res.status === 404 || res.status === 405)) {
    env.notApplicable(`${role} at ${target.url} serves no IDE controller at POST ${TOKENS} (${res.status}): seed 000 option 3 is not in GitLab, which chose option 2`);
  }
}

/** The IDE controller's answer to the signed-in session: the token (seed 000 option 3, steps 7-9). */
export const ideControllerTokenOf = needFamily((role: GitlabRole) =>
  need<AiToken>(`an AI access token from ${role}'s IDE controller`, async (env) => {
    const browser = await env.need(browserSessionOf(role));
    const res = await callIdeController(env, role, sessionHeaders(browser), `POST ${TOKENS} (session + CSRF)`);
    expectIdeControllerServed(env, role, res);
    return aiTokenFrom(res);
  }),
);

export const IssuesJwtForIdeSession = (role: GitlabRole) =>
  condition({
    name: 'EnsureIdeControllerSignsJwtForSession',
    title: `POST ${TOKENS} authorises the signed-in session (cookie + X-CSRF-Token) and returns a JWT as {access_token, expires_in, created_at}`,
    needs: { token: ideControllerTokenOf(role) },
    async evaluate({ token }): Promise<AiToken> {
      expectSchema(token.res.json, SCHEMA.CODE_SUGGESTIONS_TOKEN_RESPONSE, "the IDE controller's token answer", token.res);
      return token;
    },
  });

export const MarksTokenAnswerNoStore = (role: GitlabRole) =>
  condition({
    name: 'EnsureIdeTokenAnswerNotStored',
    title: "The IDE controller's token answer carries Cache-Control: no-store (RFC 6749 §5.1 by analogy: it carries a bearer credential)",
    needs: { token: ideControllerTokenOf(role) },
    async evaluate({ token: { res } }) {
      expectHeader(res, 'Cache-Control', 'to include no-store', (v) => (v ?? '').split(',').some((d) => d.trim().toLowerCase() === 'no-store'));
    },
  });

/** Claims whose values both endpoints must agree on for the same instance (the per-token ones, jti, iat, nbf and exp, differ). */
const SHARED_CLAIMS = ['iss', 'aud', 'sub', 'gitlab_realm', 'gitlab_instance_id', 'scopes'] as const;
const lifetime = (c: Record<string, unknown>) => ({ 'exp - iat': Number(c.exp) - Number(c.iat), 'iat - nbf': Number(c.iat) - Number(c.nbf) });

/**
 * The token of the IDE controller has the claim shape of option 2's token from the same
 * instance: the same header parameters and claim names, the same issuer, audience, subject,
 * realm and scopes, the same lifetime. Compared, not hard-coded: whatever generation of token
 * the instance mints, option 3 must mint that one, so the gateway takes it by option 2's rules.
 */
export const MintsTheClaimShapeOfOption2 = (role: GitlabRole) =>
  condition({
    name: 'EnsureIdeTokenShapedLikeOption2',
    title: `The IDE controller's JWT has the header parameters, claim names, iss, aud, sub, realm, scopes and lifetime of the JWT POST /api/v4/code_suggestions/tokens signs on the same instance`,
    needs: { ide: ideControllerTokenOf(role), api: aiTokenOf(role) },
    async evaluate({ ide, api }) {
      const [a, b] = [ide.decoded, api.decoded];
      const names = (o: object) => Object.keys(o).sort();
      const problems: string[] = [];
      if (JSON.stringify(names(a.header)) !== JSON.stringify(names(b.header)) || a.header.alg !== b.header.alg || a.header.typ !== b.header.typ) problems.push('header parameters differ');
      if (JSON.stringify(names(a.claims)) !== JSON.stringify(names(b.claims))) problems.push('claim names differ');
      for (const claim of SHARED_CLAIMS) {
        if (JSON.stringify(a.claims[claim]) !== JSON.stringify(b.claims[claim])) problems.push(`${claim} differs`);
      }
      if (JSON.stringify(lifetime(a.claims)) !== JSON.stringify(lifetime(b.claims))) problems.push('lifetime (exp - iat, iat - nbf) differs');
      const shape = (d: typeof a) => ({
        header: { names: names(d.header), alg: d.header.alg, typ: d.header.typ },
        claims: names(d.claims),
        ...Object.fromEntries(SHARED_CLAIMS.map((c) => [c, d.claims[c] ?? null])),
        ...lifetime(d.claims),
      });
      expectThat(problems.length === 0, `the IDE controller's JWT is not shaped like option 2's: ${problems.join('; ')}`, { expected: shape(b), actual: shape(a), res: ide.res });
    },
  });

/** What the IDE controller is sent instead of the valid request: other headers, another method. */
export interface IdeRequestVariant {
  label: string;
  method?: HttpRequest['method'];
  headers: (env: NeedEnv, browser: BrowserSession, role: GitlabRole) => Promise<Record<string, string>> | Record<string, string>;
}

/**
 * The session's valid request is answered with a token (the control request); the variant is
 * refused with one of `statuses` and carries no token.
 */
export const RefusesIdeTokenRequest = (role: GitlabRole, title: string, variant: IdeRequestVariant, statuses: readonly number[]) =>
  condition({
    name: 'EnsureIdeTokenRequestRefused',
    title,
    needs: { browser: browserSessionOf(role) },
    async evaluate({ browser }, env) {
      const valid = await callIdeController(env, role, sessionHeaders(browser), `POST ${TOKENS} (session + CSRF: control request)`);
      expectIdeControllerServed(env, role, valid);
      expectControlAccepted(env, valid, 'IDE controller request (session cookie + its CSRF token)');
      const res = await callIdeController(env, role, await variant.headers(env, browser, role), `${variant.method ?? 'POST'} ${TOKENS} (${variant.label})`, variant.method);
      if (!statuses.includes(res.status)) {
        fail(`expected HTTP ${statuses.join(' or ')} from ${res.request} (${variant.label}), got ${res.status}`, { expected: { status: statuses.length === 1 ? statuses[0] : statuses }, actual: { status: res.status, body: shownBody(res) }, res });
      }
      const leaked = /eyJ[\w-]+\.[\w-]+\.[\w-]*/.test(res.text) || (res.json as { access_token?: unknown } | undefined)?.access_token !== undefined;
      expectThat(!leaked, `${res.request} was refused with ${res.status} yet its body carries a token`, { expected: 'no access_token, no JWT', actual: { status: res.status, body: shownBody(res) }, res });
    },
  });

/** The variants: who is not signed in, who lacks the session's CSRF token, who asks with GET. */
export const ideRequestVariants = {
  noSession: { label: 'no session cookie, a CSRF token', headers: (_env, b) => ({ ...ACCEPT_JSON, [HEADER.CSRF_TOKEN]: b.csrfToken }) },
  unknownSession: {
    label: 'a session cookie of no session',
    headers: (_env, b) => ({ ...sessionHeaders(b), Cookie: b.cookie.replace(/=.*/, '=0123456789abcdef0123456789abcdef') }),
  },
  noCsrfToken: { label: 'session cookie, no X-CSRF-Token', headers: (_env, b) => ({ ...ACCEPT_JSON, Cookie: b.cookie }) },
  alteredCsrfToken: { label: 'session cookie, an altered X-CSRF-Token', headers: (_env, b) => ({ ...sessionHeaders(b), [HEADER.CSRF_TOKEN]: alter(b.csrfToken) }) },
  otherSessionsCsrfToken: {
    label: "session cookie, the CSRF token of another session of the same user",
    headers: async (env, b, role) => ({ ...sessionHeaders(b), [HEADER.CSRF_TOKEN]: (await anotherSessionOf(env, role)).csrfToken }),
  },
  get: { label: 'GET with session cookie and CSRF token', method: 'GET', headers: (_env, b) => sessionHeaders(b) },
} satisfies Record<string, IdeRequestVariant>;

/** The token with its last character changed (to another of the base64url alphabet). */
function alter(token: string): string {
  const last = token.slice(-1);
  return `${token.slice(0, -1)}${last === 'A' ? 'B' : 'A'}`;
}
