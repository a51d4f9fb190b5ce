/**
 * How the relay fails when SaaS does: unreachable, hanging, failing, answering garbage. The
 * IDE must get a bounded, clear JSON error and never the stored token. The harness points the
 * self-managed instance's relay at its own fault server through the control API.
 */
import { HEADER, PATH, SCHEMA, USER_AGENT } from '../../../contracts/src/index.js';
import { requireControl } from '../../checks/control.js';
import { expectNotEchoed, expectSchema, expectStatus, expectThat } from '../../checks/expect.js';
import { FaultServer, answer, type FaultAnswer } from '../../checks/fault-server.js';
import { freePort } from '../../runner/stack/ports.js';
import type { CheckScope, ControlClient, HttpResponse, ScenarioContext } from '../../runner/types.js';
import { idePat, smCredential } from './credentials.js';

interface RelayTarget {
  saas_url: string;
  timeout_ms: number;
}

/** A relay timeout short enough for a test, long enough for loopback. */
const TIMEOUT_MS = 750;

export async function relayFailureChecks(ctx: ScenarioContext): Promise<void> {
  const vscode = ctx.http('ide', 'gitlab-sm');
  const fault = await new FaultServer().start();
  try {
    /**
     * Points the relay at `saasUrl` for one IDE token request, then back where it was. With
     * the fault server as SaaS, the relay must have reached it, or the answer says nothing
     * about the failure mode: an instance in a container or on another host has a loopback of
     * its own, where the harness's fault server is not (the check is SKIPPED, saying so).
     */
    const throughRelayTo = async (scope: CheckScope, saasUrl: string, label: string): Promise<{ res: HttpResponse; sat: string }> => {
      const seenBefore = fault.seen.length;
      const control: ControlClient = requireControl(ctx, scope, 'gitlab-sm', 'point its relay at the harness\'s failing SaaS');
      const sat = smCredential(ctx, scope, 'serviceAccessToken');
      const pat = idePat(ctx, scope);
      const before = await control.call<RelayTarget>('GET', '/-/harness/relay');
      await control.call('PUT', '/-/harness/relay', { saas_url: saasUrl, timeout_ms: TIMEOUT_MS });
      try {
        const res = await vscode.request({
          method: 'POST',
          path: PATH.GITLAB_CODE_SUGGESTIONS_TOKENS,
          headers: { [HEADER.AUTHORIZATION]: `Bearer ${pat}` },
          label,
          timeoutMs: TIMEOUT_MS + 5000,
        });
        if (saasUrl === fault.url && fault.seen.length === seenBefore) {
          return scope.skip(
            `gitlab-sm never reached the harness's stand-in SaaS at ${fault.url} (it answered ${res.status}): an instance in a container or on another host cannot reach the harness's loopback, so this failure mode cannot be driven from here`,
          );
        }
        return { res, sat };
      } finally {
        await control.call('PUT', '/-/harness/relay', before);
      }
    };
    /** A relay failure: the expected status, GitLab's {"message"} shape, the token nowhere in it. */
    const expectRelayFailure = (res: HttpResponse, sat: string, status: number | number[]) => {
      expectStatus(res, status);
      expectSchema(res.json, SCHEMA.GITLAB_MESSAGE_ERROR, 'the relay\'s error body', res);
      expectNotEchoed(res, sat, 'stored service access token');
    };
    const withAnswer = (a: FaultAnswer) => {
      fault.answer = a;
      return fault.url;
    };

    await ctx.check(
      {
        id: 'sends-the-stored-token-as-workhorse',
        title: 'The relay calls SaaS with POST, Authorization: Bearer <stored token> and a gitlab-workhorse User-Agent',
        severity: 'MUST',
        clauses: ['seed-001.sm.proxy', 'seed-001.step-9'],
      },
      async (scope) => {
        const seenBefore = fault.seen.length;
        const { res, sat } = await throughRelayTo(scope, withAnswer(answer(401, '{"message":"401 Unauthorized"}')), 'IDE: POST tokens (relay to the harness)');
        const seen = fault.seen.slice(seenBefore);
        const request = seen[0];
        expectThat(seen.length === 1, `the relay sent ${seen.length} requests to SaaS for one token request`, { expected: 1, actual: seen.length, res });
        expectThat(
          request!.method === 'POST' &&
            request!.path === PATH.GITLAB_CODE_SUGGESTIONS_TOKENS &&
            request!.headers.authorization === `Bearer ${sat}` &&
            (request!.headers['user-agent'] ?? '').startsWith(USER_AGENT.RELAY_PREFIX),
          'the relayed request is not what Workhorse sends',
          {
            expected: { method: 'POST', path: PATH.GITLAB_CODE_SUGGESTIONS_TOKENS, authorization: 'Bearer <stored token>', 'user-agent': `${USER_AGENT.RELAY_PREFIX}...` },
            actual: {
              method: request!.method,
              path: request!.path,
              authorization: request!.headers.authorization === `Bearer ${sat}` ? 'Bearer <stored token>' : 'something else',
              'user-agent': request!.headers['user-agent'] ?? null,
            },
          },
        );
      },
    );

    await ctx.check(
      {
        id: 'answers-502-when-saas-is-unreachable',
        title: 'SaaS unreachable (connection refused) -> 502 with a JSON message',
        severity: 'MUST',
        clauses: ['gitlab.relay.failure', 'gitlab.relay.secrecy'],
      },
      async (scope) => {
        const closed = `http://127.0.0.1:${await freePort()}`;
        const { res, sat } = await throughRelayTo(scope, closed, 'IDE: POST tokens (SaaS unreachable)');
        expectRelayFailure(res, sat, 502);
      },
    );

    await ctx.check(
      {
        id: 'answers-504-when-saas-hangs',
        title: `SaaS accepting the connection but never answering -> 504 within the relay timeout (${TIMEOUT_MS} ms), never a hang`,
        severity: 'MUST',
        clauses: ['gitlab.relay.failure', 'gitlab.relay.secrecy'],
      },
      async (scope) => {
        const { res, sat } = await throughRelayTo(scope, withAnswer({ kind: 'hang' }), 'IDE: POST tokens (SaaS hangs)');
        expectRelayFailure(res, sat, 504);
        expectThat(res.durationMs < TIMEOUT_MS + 3000, 'the relay took far longer than its timeout to give up', {
          expected: { durationMs: `< ${TIMEOUT_MS + 3000}` },
          actual: { durationMs: res.durationMs },
          res,
        });
      },
    );

    await ctx.check(
      {
        id: 'answers-5xx-when-saas-fails',
        title: 'SaaS answering 500 -> 502, 503 -> 502 or 503, each with a JSON message',
        severity: 'MUST',
        clauses: ['gitlab.relay.failure', 'gitlab.relay.secrecy'],
      },
      async (scope) => {
        const failed = await throughRelayTo(scope, withAnswer(answer(500, '<html>We\'re sorry, something went wrong</html>', 'text/html')), 'IDE: POST tokens (SaaS 500)');
        expectRelayFailure(failed.res, failed.sat, 502);
        const unavailable = await throughRelayTo(scope, withAnswer(answer(503, '{"message":"503 Service Unavailable"}')), 'IDE: POST tokens (SaaS 503)');
        expectRelayFailure(unavailable.res, unavailable.sat, [502, 503]);
      },
    );

    await ctx.check(
      {
        id: 'answers-502-for-a-malformed-saas-answer',
        title: 'SaaS answering 2xx with HTML or with JSON that is no token response -> 502, never passed on as a token',
        severity: 'MUST',
        clauses: ['gitlab.relay.failure', 'gitlab.tokens.response'],
      },
      async (scope) => {
        for (const [label, a] of [
          ['HTML', answer(200, '<html><body>Sign in</body></html>', 'text/html')],
          ['wrong JSON', answer(201, '{"token":"not-a-jwt","expires":"soon"}')],
        ] as const) {
          const { res, sat } = await throughRelayTo(scope, withAnswer(a), `IDE: POST tokens (SaaS ${label})`);
          expectRelayFailure(res, sat, 502);
        }
      },
    );
  } finally {
    await fault.close();
  }
}
