/**
 * Seed 000, option 3: GitLab's IDE controller (the Web IDE back end) authorises the browser
 * session and its CSRF token and signs the JWT; the AI gateway verifies it against a cached
 * JWKS on every keystroke by the same rules as option 2. Option 2 differs in who authorises:
 * there the REST API (session or PAT); here a web controller (session + CSRF only). Each line
 * is a check: a condition evaluated as MUST or SHOULD with the clauses it verifies; the gateway
 * part calls option 2's conditions with the IDE controller's token.
 */
import { GATEWAY_AUTH_ERROR, GITLAB_REALM, HEADER, WEB_IDE_PATH } from '#contracts';
import { gatewayHeaders } from '../../clients/code-suggestions.js';
import { FollowsTheSequenceDiagram, type DiagramReplay } from '../../conditions/diagram.js';
import { CompletesCodeForValidJwt, NeverEchoesTheToken, RefusesForgedToken, RefusesHeaderVariant, RejectsBoundHeaderMismatch, forgeries, keystroke } from '../../conditions/gateway.js';
import {
  IssuesJwtForIdeSession,
  MarksTokenAnswerNoStore,
  MintsTheClaimShapeOfOption2,
  RefusesIdeTokenRequest,
  callIdeController,
  ideControllerTokenOf,
  ideRequestVariants,
  sessionHeaders,
} from '../../conditions/ide-controller.js';
import { LimitsJwtToOneHour, MintsClaimsOfTheContract, SignsJwtWithAPublishedKey, SignsJwtWithRs256, StatesOneHourLifetime } from '../../conditions/issuer.js';
import { ServesKeystrokesFromTheKeyCache } from '../../conditions/jwks.js';
import { aiTokenFrom } from '../../conditions/needs.js';
import { SignsInWithTheForm, anotherSessionOf } from '../../conditions/web-session.js';
import type { ScenarioDefinition } from '../../runner/types.js';

const SAAS = 'gitlab-saas';
const IDE_TOKEN = ideControllerTokenOf(SAAS);

/** Seed 000 option 3 end to end: sign in, a token from the IDE controller, one keystroke with a cold key cache where the harness can empty it. */
const ideControllerFlow: DiagramReplay = {
  flow: "sign-in, a token from the IDE controller, then one keystroke with the gateway's key cache cold where the harness can empty it",
  async prepare(env) {
    await env.target('ai-gateway').control?.clearJwksCache();
  },
  async run(env) {
    const browser = await anotherSessionOf(env, SAAS);
    const token = aiTokenFrom(await callIdeController(env, SAAS, sessionHeaders(browser), 'IDE: POST /-/ide/code_suggestions/tokens'));
    await keystroke(env, gatewayHeaders(token.token, token.decoded.claims), 'IDE: keystroke');
  },
};

const UNAUTHORIZED = [401];
/** Rails answers InvalidAuthenticityToken 422 (what GitLab and the emulator answer); 403 is the other CSRF refusal frameworks use. */
const CSRF_REFUSED = [422, 403];
/** Rails routes only POST here: GET is a routing error (404); 405 is RFC 9110's answer. */
const METHOD_REFUSED = [404, 405];
const without = (headers: Record<string, string>, name: string) => Object.fromEntries(Object.entries(headers).filter(([h]) => h !== name));

export const ideControllerJwt: ScenarioDefinition = {
  id: 'ide-controller-jwt',
  title: "GitLab's IDE controller signs a JWT for the browser session; the gateway verifies it as option 2's on every keystroke",
  seeds: ['000'],
  diagram: 'ide-controller-jwt.mmd',
  roles: ['gitlab-saas', 'ai-gateway', 'fake-model'],
  async run(s) {
    // Steps 1-6: the browser session the controller authorises.
    await s.must('signs-in-with-the-form', SignsInWithTheForm(SAAS), ['seed-000.o3.step-1', 'gitlab.session.sign-in']);

    // Steps 7-10: the IDE controller, its answer and the token it signs.
    await s.must('issues-jwt-for-the-ide-session', IssuesJwtForIdeSession(SAAS), ['seed-000.o3.step-7', 'seed-000.o3.step-8', 'seed-000.o3.step-9', 'gitlab.web.csrf', 'gitlab.tokens.response']);
    await s.should('states-the-ide-jwt-lifetime', StatesOneHourLifetime(SAAS, IDE_TOKEN), ['gitlab.tokens.response', 'seed-000.o3.step-10']);
    await s.should('marks-the-ide-token-answer-no-store', MarksTokenAnswerNoStore(SAAS), ['gitlab.ide-tokens.no-store', 'seed-000.o3.step-9']);
    await s.must('signs-the-ide-jwt-with-rs256', SignsJwtWithRs256(SAAS, IDE_TOKEN), ['gitlab.tokens.claims', 'rfc-8725.3.1', 'rfc-8725.3.10', 'seed-000.o3.step-8']);
    await s.must('mints-ide-jwt-claims-of-the-contract', MintsClaimsOfTheContract(SAAS, SAAS, GITLAB_REALM.SAAS, IDE_TOKEN), [
      'gitlab.tokens.claims',
      'aigw.auth.header-binding',
      'rfc-7519.4.1.3',
      'rfc-7519.4.1.4',
      'rfc-8725.3.9',
      'seed-000.o3.step-8',
    ]);
    await s.must('mints-the-claim-shape-of-option-2', MintsTheClaimShapeOfOption2(SAAS), ['seed-000.o3.step-8', 'gitlab.tokens.claims']);
    await s.should('limits-the-ide-jwt-to-one-hour', LimitsJwtToOneHour(SAAS, IDE_TOKEN), ['gitlab.tokens.claims']);
    await s.must('signs-the-ide-jwt-with-a-published-key', SignsJwtWithAPublishedKey(SAAS, SAAS, IDE_TOKEN), ['rfc-7515.5.2', 'seed-000.o3.step-8', 'seed-000.o3.step-13']);

    // The controller's refusals, each paired with the session's accepted request.
    const refused = (title: string, variant: Parameters<typeof RefusesIdeTokenRequest>[2], statuses: number[]) => RefusesIdeTokenRequest(SAAS, title, variant, statuses);
    const v = ideRequestVariants;
    await s.must('rejects-ide-token-request-without-session', refused('No session cookie (a CSRF token alone) -> 401, no token', v.noSession, UNAUTHORIZED), ['seed-000.o3.step-7']);
    await s.must('rejects-ide-token-request-of-an-unknown-session', refused('A session cookie that names no session -> 401, no token', v.unknownSession, UNAUTHORIZED), ['seed-000.o3.step-7']);
    await s.must('rejects-ide-token-request-without-csrf-token', refused('The session cookie without X-CSRF-Token -> 422 (Rails InvalidAuthenticityToken) or 403, no token', v.noCsrfToken, CSRF_REFUSED), ['gitlab.web.csrf', 'seed-000.o3.step-7']);
    await s.must('rejects-ide-token-request-with-a-wrong-csrf-token', refused('The session cookie with an altered X-CSRF-Token -> 422 or 403, no token', v.alteredCsrfToken, CSRF_REFUSED), ['gitlab.web.csrf', 'seed-000.o3.step-7']);
    await s.must(
      'rejects-csrf-token-of-another-session',
      refused("The session cookie with the CSRF token of another session of the same user -> 422 or 403, no token", v.otherSessionsCsrfToken, CSRF_REFUSED),
      ['gitlab.web.csrf', 'seed-000.o3.step-7'],
    );
    await s.must('refuses-get-at-the-ide-controller', refused(`GET ${WEB_IDE_PATH.TOKENS} (session + CSRF token) -> 404 or 405, no token`, v.get, METHOD_REFUSED), ['gitlab.web.safe-methods']);

    // Steps 11-19: the gateway takes the IDE controller's token by option 2's rules.
    await s.must('completes-code-for-the-ide-jwt', CompletesCodeForValidJwt(SAAS, IDE_TOKEN), ['seed-000.o3.step-11', 'seed-000.o3.step-16', 'aigw.completions.response']);
    await s.must('serves-ide-keystrokes-from-the-key-cache', ServesKeystrokesFromTheKeyCache(SAAS, IDE_TOKEN), ['seed-000.o3.step-12', 'aigw.jwks.cache']);
    await s.must(
      'rejects-ide-keystroke-without-authorization',
      RefusesHeaderVariant(SAAS, 'The IDE keystroke without its Authorization header -> 401 "No authorization header presented"', (h) => without(h, HEADER.AUTHORIZATION), [{ status: 401, body: { error: GATEWAY_AUTH_ERROR.NO_HEADER } }], IDE_TOKEN),
      ['aigw.auth.no-header', 'seed-000.o3.step-11'],
    );
    await s.must(
      'rejects-ide-keystroke-not-oidc',
      RefusesHeaderVariant(SAAS, 'The IDE keystroke with X-Gitlab-Authentication-Type other than oidc -> 401', (h) => ({ ...h, [HEADER.AUTHENTICATION_TYPE]: 'sat' }), [{ status: 401, body: { error: GATEWAY_AUTH_ERROR.INVALID_TYPE } }], IDE_TOKEN),
      ['aigw.auth.type'],
    );
    const forged = (title: string, forge: Parameters<typeof RefusesForgedToken>[2]) => RefusesForgedToken(SAAS, title, forge, undefined, IDE_TOKEN);
    await s.must('rejects-altered-ide-jwt', forged("The IDE controller's JWT with claims altered after signing -> 401", forgeries.alteredClaims), ['rfc-7515.5.2', 'aigw.auth.forbidden', 'seed-000.o3.step-16']);
    await s.must('rejects-ide-jwt-with-a-corrupted-signature', forged("The IDE controller's JWT with one signature bit flipped -> 401", forgeries.corruptedSignature), ['rfc-7515.5.2', 'aigw.auth.forbidden']);
    await s.must('rejects-unsigned-ide-jwt', forged("The IDE controller's JWT re-sent unsigned (alg none) -> 401", forgeries.algNone), ['rfc-8725.3.1', 'checklist.gateway-auth.4', 'aigw.auth.forbidden']);
    await s.must('rejects-ide-jwt-as-hs256-keyed-with-the-public-key', forged("The IDE controller's claims as HS256 keyed with the issuer's RSA public key -> 401", forgeries.hs256WithPublicKey(SAAS)), ['rfc-8725.3.1', 'checklist.gateway-auth.4', 'aigw.auth.forbidden']);
    for (const header of [HEADER.REALM, HEADER.INSTANCE_ID]) {
      await s.must(`rejects-${header.toLowerCase()}-mismatch-for-the-ide-jwt`, RejectsBoundHeaderMismatch(SAAS, header, IDE_TOKEN), ['aigw.auth.header-binding']);
    }
    await s.must('never-echoes-the-ide-jwt', NeverEchoesTheToken(SAAS, IDE_TOKEN), ['checklist.gateway-auth.18']);

    // The whole flow once more, compared with the contract's sequence diagram.
    await s.must('follows-the-sequence-diagram', FollowsTheSequenceDiagram('ide-controller-jwt.mmd', ideControllerFlow), [
      'seed-000.o3.step-1',
      'seed-000.o3.step-7',
      'seed-000.o3.step-11',
      'seed-000.o3.step-12',
      'seed-000.o3.step-13',
      'seed-000.o3.step-16',
    ]);
  },
};
