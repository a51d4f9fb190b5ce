/**
 * Contracts match behaviour: Schemathesis (pinned, installed by test/tools/schemathesis/install.sh
 * into .venv/) runs every check of every phase against each app with its OpenAPI document in
 * contracts/openapi/, control API included, and finds nothing.
 *
 * Each app runs in passes on the same process: first the data plane with real credentials (so
 * the authenticated answers are reached, not just 401s), then the data-plane writes that change
 * what other operations answer (GitLab's application settings), then the control API alone.
 * Control writes (injected model faults, another gateway audience, a retargeted relay) would
 * otherwise change the answers in the middle of a pass, and a relay that Schemathesis pointed at
 * a generated host must never be asked to relay: nothing relays after the control pass.
 */
import { rmSync } from 'node:fs';
import { type SchemeCredential, type SchemathesisOutcome, installSchemathesis, runSchemathesis } from './tools/schemathesis/schemathesis.js';
import { DUO_CHAT_TOKEN_SCOPES, HEADER, OAUTH_PATH, PATH, SESSION_COOKIE, boundHeaderValues } from '#contracts';
import type { Role } from '#contracts';
import { decodeJwt } from '#common/testing/jwt';
import type { TargetProfileFile } from '../scenarios/runner/profile.js';
import type { RunningStack } from '../scenarios/runner/stack/launcher.js';
import { demoCredentials as credentials, roleUrl, startEmbedded, tempDir } from './support.js';

const CONTROL_TOKEN = 'schemathesis-e2e-control-token-0123456789';
const CONTROL_API = `^${PATH.HARNESS_CONTROL_PREFIX}/`;
/** Console output printed per failing pass, in characters. */
const MAX_PRINTED = 50_000;
const control: Record<string, SchemeCredential> = { harnessControl: { api_key: CONTROL_TOKEN } };

let executable: string;
let generation: { maxExamples: number; seed: number };
const running: RunningStack[] = [];

beforeAll(() => {
  generation = generationSettings();
  executable = installSchemathesis();
}, 300_000);
afterEach(async () => {
  await Promise.all(running.splice(0).map((stack) => stack.stop()));
});

/**
 * Test cases per operation and phase (25 find every disagreement we have met, in about two
 * minutes on 2 cores) and a fixed seed, so a run is repeatable. SCHEMATHESIS_MAX_EXAMPLES and
 * SCHEMATHESIS_SEED explore further.
 */
function generationSettings(): { maxExamples: number; seed: number } {
  const read = (name: string, fallback: number): number => {
    const raw = process.env[name];
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer (got '${raw}')`);
    return value;
  };
  return { maxExamples: read('SCHEMATHESIS_MAX_EXAMPLES', 25), seed: read('SCHEMATHESIS_SEED', 20_240_501) };
}

/** The embedded `roles` (stopped after the test), with the control token the control API pass uses. */
async function start(roles: Role[], profile?: TargetProfileFile): Promise<RunningStack> {
  const stack = await startEmbedded(roles, { controlToken: CONTROL_TOKEN, ...(profile ? { profile } : {}) });
  running.push(stack);
  return stack;
}

interface Target {
  document: string;
  /** The app's base URL. */
  url: string;
  /** Credentials of the data plane, by securityScheme. */
  auth: Record<string, SchemeCredential>;
  /** Fixed parameter values of the data plane (`<location>.<name>`). */
  parameters?: Record<string, string>;
  /** Fixed parameter values of the control API. */
  controlParameters?: Record<string, string>;
  /** Data-plane paths (a regular expression) whose writes change what the others answer: their own pass, after the others. */
  writes?: string;
  /** Data-plane paths (a regular expression) no pass fuzzes; the target says why. */
  notFuzzed?: string;
  /** Operations that answer only 401/403 or only 404 here whatever is sent, and why (Schemathesis warns of them). */
  unreachable?: Record<string, string>;
}

/** Every pass of a target; none may find anything. */
async function verify(label: string, target: Target): Promise<void> {
  const common = { executable, document: target.document, baseUrl: target.url, ...generation };
  const dataPlane = { ...common, auth: target.auth, parameters: target.parameters };
  const passes = {
    api: { ...dataPlane, excludePathRegex: [CONTROL_API, target.writes, target.notFuzzed].filter(Boolean).join('|') },
    ...(target.writes ? { writes: { ...dataPlane, includePathRegex: target.writes } } : {}),
    controlApi: { ...common, auth: control, parameters: target.controlParameters, includePathRegex: CONTROL_API },
  };
  const findings: Record<string, Findings> = {};
  for (const [pass, options] of Object.entries(passes)) {
    const workDir = tempDir('schemathesis');
    findings[pass] = findingsOf(`${label}, ${pass}`, workDir, await runSchemathesis({ ...options, workDir }), target.unreachable);
    // Kept when there is a finding: report.json and the config the run used.
    if (JSON.stringify(findings[pass]) === JSON.stringify(CLEAN)) rmSync(workDir, { recursive: true, force: true });
  }
  expect(findings).toEqual(Object.fromEntries(Object.keys(passes).map((pass) => [pass, CLEAN])));
}

interface Findings {
  exitCode: number | null;
  failures: string[];
  errors: unknown[];
  untested: string[];
  unreachable: string[];
}

const CLEAN: Findings = { exitCode: 0, failures: [], errors: [], untested: [], unreachable: [] };

/**
 * What a run found: failures, errors, operations it selected but could not test, and
 * operations it never got past 401/403 or 404 with (not expected: the credentials or the test
 * data do not work, so the run proves little). The console output, with each failure's request,
 * answer and curl reproduction, is printed when there is any finding.
 */
function findingsOf(label: string, workDir: string, { exitCode, output, report }: SchemathesisOutcome, expected: Record<string, string> = {}): Findings {
  const { selected, tested } = report.operations;
  const findings: Findings = {
    exitCode,
    failures: report.failures.map((f) => `${f.code} ${f.title}: ${f.operations.join(', ')}`),
    errors: report.errors,
    untested: selected > 0 && tested === selected ? [] : [`${tested} of ${selected} operations tested`],
    unreachable: [...(report.warnings.missing_auth ?? []), ...(report.warnings.missing_test_data ?? [])].map(String).filter((operation) => !(operation in expected)),
  };
  if (JSON.stringify(findings) !== JSON.stringify(CLEAN)) {
    // Reproductions of huge generated bodies run to megabytes: the head of the output is enough.
    const shown = output.length > MAX_PRINTED ? `${output.slice(0, MAX_PRINTED)}\n[... ${output.length - MAX_PRINTED} more characters]` : output;
    console.error(`Schemathesis, ${label} (report and config in ${workDir}):\n${shown}`);
  }
  return findings;
}

describe('the OpenAPI documents match the apps (Schemathesis, every check)', () => {
  it('fake-model.yaml: the fake model', async () => {
    const stack = await start(['fake-model']);
    await verify('fake model', { document: 'fake-model.yaml', url: roleUrl(stack, 'fake-model'), auth: {} });
  }, 300_000);

  it('ai-gateway.yaml: the AI gateway, with a token SaaS issued', async () => {
    const stack = await start(['fake-model', 'gitlab-saas', 'ai-gateway'], { roles: { 'ai-gateway': { trusted_issuers: ['gitlab-saas'] } } });
    const pat = credentials('gitlab-saas').personal_access_tokens!.ai_features!;
    const res = await fetch(`${roleUrl(stack, 'gitlab-saas')}${PATH.GITLAB_CODE_SUGGESTIONS_TOKENS}`, { method: 'POST', headers: { [HEADER.AUTHORIZATION]: `Bearer ${pat}` } });
    expect(res.status).toBe(201);
    const issued = decodeJwt(((await res.json()) as { access_token: string }).access_token).claims;
    // The same token with Duo Chat's unit primitives too (GitLab mints those in the chat's own
    // instance token), so both completions and POST /v1/chat/agent are reached past their 403.
    const minted = await fetch(`${roleUrl(stack, 'gitlab-saas')}${PATH.HARNESS_CONTROL_PREFIX}/tokens`, {
      method: 'POST',
      headers: { [HEADER.HARNESS_CONTROL]: CONTROL_TOKEN, 'content-type': 'application/json' },
      body: JSON.stringify({ claims: { scopes: [...(issued.scopes as string[]), ...DUO_CHAT_TOKEN_SCOPES] } }),
    });
    expect(minted.status).toBe(201);
    const token = ((await minted.json()) as { token: string }).token;
    // The headers bound to the token's claims are fixed; Schemathesis generates every other input.
    const bound = Object.fromEntries(Object.entries(boundHeaderValues(decodeJwt(token).claims)).map(([name, value]) => [`header.${name}`, value]));
    await verify('AI gateway', { document: 'ai-gateway.yaml', url: roleUrl(stack, 'ai-gateway'), auth: { aiAccessToken: { bearer: token } }, parameters: bound });
  }, 300_000);

  it('gitlab.yaml: GitLab SaaS, with a personal access token and a browser session', async () => {
    const saas = roleUrl(await start(['gitlab-saas']), 'gitlab-saas');
    const { personal_access_tokens: pats, user } = credentials('gitlab-saas');
    await verify('GitLab SaaS', {
      ...gitlab(saas, pats!.api!, await signIn(saas, user!)),
      unreachable: {
        'POST /users/sign_in': SIGN_IN_REFUSED,
        'GET /api/v4/application/settings': 'no SaaS demo user is an administrator (403)',
        'GET /api/v4/applications': 'no SaaS demo user is an administrator (403)',
        'POST /api/v4/applications': 'no SaaS demo user is an administrator (403)',
        'DELETE /api/v4/applications/{id}': 'no SaaS demo user is an administrator (403)',
        'GET /oauth/token/info': NO_OAUTH_TOKEN,
        'PUT /api/v4/application/settings': 'no SaaS demo user is an administrator (403)',
        'GET /-/harness/relay': 'SaaS has no relay (404)',
        'PUT /-/harness/relay': 'SaaS has no relay (404)',
      },
    });
  }, 300_000);

  it('gitlab.yaml: self-managed GitLab relaying to SaaS, with an administrator token', async () => {
    const sm = roleUrl(await start(['gitlab-saas', 'gitlab-sm']), 'gitlab-sm');
    const { personal_access_tokens: pats, user } = credentials('gitlab-sm');
    await verify('self-managed GitLab', {
      ...gitlab(sm, pats!.admin!, await signIn(sm, user!)),
      unreachable: {
        'POST /users/sign_in': SIGN_IN_REFUSED,
        'GET /oauth/token/info': NO_OAUTH_TOKEN,
        'DELETE /api/v4/applications/{id}': "generated ids name no application (404); apps/gitlab/src/oauth/oauth-applications.e2e-spec.ts deletes one",
        'GET /-/harness/groups/{path}': 'the self-managed demo data has no groups (404)',
        'PUT /-/harness/groups/{path}': 'the self-managed demo data has no groups (404)',
      },
    });
  }, 300_000);
});

/** GET /oauth/token/info takes OAuth access tokens only, which need a browser flow; the gitlab app's own tests cover its 200. */
const NO_OAUTH_TOKEN = 'no OAuth access token among the credentials (401 to a personal access token)';
const SIGN_IN_REFUSED = 'generated logins and passwords are wrong (401); the document names no credentials';

/**
 * A GitLab target. Schemathesis takes the first security alternative it has credentials for,
 * so API operations use the token, and the pages that take only a session (home, sign-out) the
 * session with its CSRF token. The application settings change whether self-managed relays
 * (seed 001) and signing out ends the session, so they run after the rest; the control API's group operations use a demo group.
 */
function gitlab(url: string, pat: string, browser: BrowserSession): Omit<Target, 'unreachable'> {
  return {
    document: 'gitlab.yaml',
    url,
    auth: {
      bearerPat: { bearer: pat },
      privateTokenHeader: { api_key: pat },
      privateTokenQuery: { api_key: pat },
      sessionCookie: { api_key: browser.session },
      csrfToken: { api_key: browser.csrfToken },
    },
    // Signing out ends the session the session-only operations (the IDE controller) need.
    writes: `^(${PATH.GITLAB_APPLICATION_SETTINGS}|${PATH.GITLAB_SIGN_OUT})$`,
    // The OAuth server's engine routes (oidc-provider, x-engine-route in the document) and
    // registration: a certified engine's own input handling, whose rules the gitlab app's
    // oauth-rules and openid-client tests pin with real flows; generated requests would only
    // meet its error pages and redirects, and every registration would add a client.
    // The sign-in and consent pages answer only the browser that started an authorization (its
    // interaction cookie, bound to the uid): to generated requests always the same 400 page.
    // GraphQL (/api/graphql): its input is a query language, not a schema-shaped body; generated
    // strings only ever meet the parser's 200 errors, and a generated valid mutation could edit
    // the demo issues mid-pass. apps/gitlab/src/graphql/*.e2e-spec.ts pin its answers.
    notFuzzed: `^${PATH.GITLAB_GRAPHQL}$|^${OAUTH_PATH.AUTHORIZE}|^${OAUTH_PATH.TOKEN}$|^${OAUTH_PATH.REVOKE}$|^${OAUTH_PATH.INTROSPECT}$|^${OAUTH_PATH.USERINFO}$|^${OAUTH_PATH.REGISTER}|^${OAUTH_PATH.END_SESSION_CONFIRM}$|^${OAUTH_PATH.INTERACTION}/`,
    controlParameters: { 'path.path': 'duo-group' },
  };
}

interface BrowserSession {
  /** The `_gitlab_session` cookie's value. */
  session: string;
  /** The page's `<meta name="csrf-token">`. */
  csrfToken: string;
}

/** Signs in as a browser does: the session cookie, then the CSRF token from the signed-in page. */
async function signIn(url: string, user: { username: string; password: string }): Promise<BrowserSession> {
  const res = await fetch(`${url}${PATH.GITLAB_SIGN_IN}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ 'user[login]': user.username, 'user[password]': user.password }).toString(),
  });
  expect(res.status).toBe(302);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  if (!cookie) throw new Error(`sign-in set no ${SESSION_COOKIE} cookie`);
  const session = cookie.slice(SESSION_COOKIE.length + 1).split(';')[0]!;
  const page = await (await fetch(`${url}/`, { headers: { cookie: `${SESSION_COOKIE}=${session}` } })).text();
  const csrfToken = /<meta\s+name="csrf-token"\s+content="([^"]+)"/.exec(page)?.[1];
  if (!csrfToken) throw new Error('the signed-in page has no <meta name="csrf-token">');
  return { session, csrfToken };
}
