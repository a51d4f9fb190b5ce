import { USER_AGENT, harnessControlClient } from '#contracts';
import { collectObserved, observedExchanges, participantFromUserAgent, type LoggedRequest } from './observed.js';
import { ExchangeRecorder } from './recording/recorder.js';
import { exchange } from './test/helpers.js';
import type { ControlClient } from './types.js';

describe('observed traffic', () => {
  it.each([
    [`${USER_AGENT.GATEWAY}/0.1.0`, 'ai-gateway'],
    [USER_AGENT.GATEWAY, 'ai-gateway'],
    ['gitlab-workhorse', 'gitlab-sm'],
    ['gitlab-workhorse v16.1.0', 'gitlab-sm'],
    ['Mozilla/5.0 (X11) Chrome/120', 'ide'],
    ['code-suggestions-vscode/4.0', 'ide'],
    [undefined, 'ide'],
  ])('maps User-Agent %p to participant %p', (ua, participant) => {
    expect(participantFromUserAgent(ua)).toBe(participant);
  });

  it.each([[`${USER_AGENT.HARNESS}/0.1.0`], [USER_AGENT.HARNESS]])('skips the harness itself (%p)', (ua) => {
    expect(participantFromUserAgent(ua)).toBeUndefined();
  });

  const entries: LoggedRequest[] = [
    { at: '2025-01-01T00:00:01.050Z', method: 'GET', path: '/oauth/discovery/keys', status: 200, durationMs: 2, userAgent: `${USER_AGENT.GATEWAY}/0.1.0` },
    { at: '2025-01-01T00:00:01.100Z', method: 'GET', path: '/.well-known/openid-configuration', status: 200, durationMs: 1, userAgent: 'ai-auth-harness/0.1.0' },
    { at: '2025-01-01T00:00:01.200Z', method: 'POST', path: '/api/v4/code_suggestions/tokens', status: 201, durationMs: 5, userAgent: 'gitlab-workhorse' },
    { at: '2025-01-01T00:00:01.300Z', method: 'GET', path: '/-/harness/requests', status: 200, durationMs: 1, userAgent: 'x' },
  ];

  it('turns log entries into observed exchanges to the target role, leaving out the harness own requests', () => {
    const out = observedExchanges(entries, { role: 'gitlab-saas', url: 'http://127.0.0.1:3001' }, new ExchangeRecorder());
    expect(out.map((x) => [x.from, x.to, x.kind, x.method, x.url, x.response?.status])).toEqual([
      ['ai-gateway', 'gitlab-saas', 'observed', 'GET', 'http://127.0.0.1:3001/oauth/discovery/keys', 200],
      ['gitlab-sm', 'gitlab-saas', 'observed', 'POST', 'http://127.0.0.1:3001/api/v4/code_suggestions/tokens', 201],
    ]);
    // `at` is when the role answered: the exchange started durationMs earlier.
    expect(out[0]!.startedAt).toBe('2025-01-01T00:00:01.048Z');
    expect(new Set(out.map((x) => x.id)).size).toBe(2);
  });

  it('drops an unknown-agent entry the harness already recorded itself (a check playing an IDE with its own UA)', () => {
    const own = exchange({ id: 'x1', to: 'ai-gateway', method: 'POST', url: 'http://gw/v2/code/completions', startedAt: '2025-01-01T00:00:00.990Z', durationMs: 10 });
    const logged: LoggedRequest[] = [
      { at: '2025-01-01T00:00:01.000Z', method: 'POST', path: '/v2/code/completions', status: 200, durationMs: 8, userAgent: 'vscode' },
      { at: '2025-01-01T00:00:09.000Z', method: 'POST', path: '/v2/code/completions', status: 200, durationMs: 8, userAgent: 'vscode' },
    ];
    const out = observedExchanges(logged, { role: 'ai-gateway', url: 'http://gw' }, new ExchangeRecorder(), [own]);
    expect(out).toHaveLength(1);
    expect(out[0]!.startedAt).toBe('2025-01-01T00:00:08.992Z');
  });

  it('reads each control API since the scenario start and turns failures into WARNING notes', async () => {
    const calls: string[] = [];
    const good: ControlClient = Object.assign(
      harnessControlClient({
        call: async <T>(_m: string, path: string) => {
          calls.push(path);
          return { requests: entries } as T;
        },
      }),
      { role: 'gitlab-saas' as const },
    );
    const broken: ControlClient = Object.assign(
      harnessControlClient({
        call: async () => {
          throw new Error('control API of ai-gateway: GET /-/harness/requests answered 404: {}');
        },
      }),
      { role: 'ai-gateway' as const },
    );
    const { exchanges, notes } = await collectObserved(
      [
        { role: 'gitlab-saas', url: 'http://saas', control: good },
        { role: 'ai-gateway', url: 'http://gw', control: broken },
      ],
      '2025-01-01T00:00:00.000Z',
      new ExchangeRecorder(),
      [],
    );
    expect(calls).toEqual(['/-/harness/requests?since=2025-01-01T00%3A00%3A00.000Z']);
    expect(exchanges).toHaveLength(2);
    expect(notes).toEqual([{ level: 'WARNING', message: expect.stringContaining('could not read the traffic ai-gateway observed') }]);
  });
});
