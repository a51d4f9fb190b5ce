/**
 * The sm-relay scenario against a self-managed GitLab it has never seen: an independently
 * written double (test/doubles/double-self-managed.ts) passes when correct, and each defect
 * switched on makes the checks that guard against it fail, naming the clause and what came
 * back. SaaS, the gateway and the model are the real emulators, all external to the run.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mergeProfiles, readEmbeddedProfile } from '../scenarios/runner/profile.js';
import { runConformance } from '../scenarios/runner/run.js';
import type { CheckResult, RunResult } from '../scenarios/runner/types.js';
import { SCENARIOS } from '../scenarios/suites/index.js';
import { startDoubleSelfManaged, type SelfManagedDefect } from './doubles/double-self-managed.js';
import type { RunningStack } from '../scenarios/runner/stack/launcher.js';
import { demoCredentials, roleUrl, startEmbedded, targetsOf, tempDir } from './support.js';

/** The SaaS, gateway and model every run shares: the scenario restores what it changes there. */
let shared: RunningStack;

beforeAll(async () => {
  // The gateway trusts SaaS only: the self-managed instance is the double, which issues no token.
  shared = await startEmbedded(['fake-model', 'gitlab-saas', 'ai-gateway'], { profile: { roles: { 'ai-gateway': { trusted_issuers: ['gitlab-saas'] } } } });
}, 60_000);
afterAll(() => shared?.stop());

interface Certified {
  result: RunResult;
  console: string;
  /** The double's log file, named in the profile as gitlab-sm's log_file. */
  relayLog: string[];
}

/** Runs sm-relay with the double as gitlab-sm; every role is external to the run. */
async function certify(defects: SelfManagedDefect[], environment: { inContainer?: boolean } = {}): Promise<Certified> {
  const reportsDir = tempDir('sm-relay-defect');
  const logFile = join(reportsDir, 'double-self-managed.log');
  appendFileSync(logFile, '');
  const sm = await startDoubleSelfManaged({
    saasUrl: roleUrl(shared, 'gitlab-saas'),
    controlToken: shared.controlToken,
    defects,
    ...environment,
    log: (line) => appendFileSync(logFile, `${line}\n`),
  });
  const targets = targetsOf(shared);
  let console = '';
  try {
    const result = await runConformance({
      scenarios: SCENARIOS,
      selected: ['sm-relay'],
      profile: mergeProfiles(readEmbeddedProfile(), {
        roles: {
          ...targets,
          'gitlab-sm': { url: sm.url, control_token: shared.controlToken, credentials: demoCredentials('gitlab-sm'), log_file: logFile },
          'fake-model': { url: roleUrl(shared, 'fake-model') },
        },
      }),
      reportsDir,
      ports: 'auto',
      quiet: true,
      handleSignals: false,
      output: { write: (s: string) => ((console += s), true) },
    });
    return { result, console, relayLog: readFileSync(logFile, 'utf8').split('\n').filter(Boolean) };
  } finally {
    await sm.close();
  }
}

const checksOf = (result: RunResult): CheckResult[] => result.scenarios.flatMap((s) => s.checks);
const idsWith = (result: RunResult, status: CheckResult['status']) => checksOf(result).filter((c) => c.status === status).map((c) => c.id);
const check = (result: RunResult, id: string) => checksOf(result).find((c) => c.id === id);

it('certifies the correct double: the scenario is not tied to our own self-managed emulator', async () => {
  const { result, relayLog } = await certify([]);
  expect(result.scenarios[0]!.status).toBe('FINISHED');
  expect(idsWith(result, 'FAILED')).toEqual([]);
  expect(idsWith(result, 'WARNING')).toEqual([]);
  expect(idsWith(result, 'SKIPPED')).toEqual([]);
  expect(result.summary.passed).toBe(result.summary.total);
  expect(result.exitCode).toBe(0);
  // The double relayed for real: once per token request the scenario made, each a line of its log.
  expect(relayLog.length).toBeGreaterThan(5);
  expect(relayLog.join('\n')).not.toContain('glpat-');
}, 60_000);

/** The run failed, and each of `ids` FAILED as a MUST with an assertion saying what was expected and what came back. */
function expectCaughtBy(result: RunResult, ids: string[]): void {
  expect(result.exitCode).toBe(1);
  expect(idsWith(result, 'FAILED')).toEqual(expect.arrayContaining(ids));
  for (const id of ids) {
    const failed = check(result, id)!;
    expect(failed.severity).toBe('MUST');
    expect(failed.failure?.message.length).toBeGreaterThan(10);
    expect(failed.failure?.expected).toBeDefined();
    expect(failed.failure?.actual).toBeDefined();
    expect(failed.clauses.length).toBeGreaterThan(0);
  }
}

/** Each defect and the MUST checks of sm-relay that catch it. */
const CAUGHT_BY: Array<[SelfManagedDefect, string[]]> = [
  [
    'echo-stored-token-on-failure',
    ['answers-502-when-saas-is-unreachable', 'answers-504-when-saas-hangs', 'answers-5xx-when-saas-fails', 'answers-502-for-a-malformed-saas-answer'],
  ],
  ['ignore-configured-timeout', ['answers-504-when-saas-hangs']],
  ['pass-through-saas-5xx', ['answers-5xx-when-saas-fails']],
  ['pass-through-malformed-token-response', ['answers-502-for-a-malformed-saas-answer']],
  ['closed-schema-for-saas-answers', ['passes-extra-token-response-members-through']],
  ['passes-saas-headers-verbatim', ['keeps-the-stored-token-out-of-passed-answers']],
  ['ignore-code-suggestions-setting', ['hides-the-endpoint-when-code-suggestions-are-off']],
  ['settings-writable-by-anyone', ['refuses-settings-changes-by-non-admins']],
  ['returns-stored-token-in-settings', ['stores-the-service-token-through-the-admin-api', 'never-returns-the-stored-token']],
  ['log-stored-token', ['keeps-credentials-out-of-logs']],
  [
    'relay-without-workhorse-user-agent',
    [
      'sends-the-stored-token-as-workhorse',
      'relays-as-workhorse-with-the-service-token',
      'marks-the-relayed-jwt-self-managed',
      'passes-on-saas-401-without-the-instance-admin-flag',
    ],
  ],
];

it.each(CAUGHT_BY)('catches a self-managed relay with the defect %s', async (defect, ids) => {
  expectCaughtBy((await certify([defect])).result, ids);
}, 60_000);

it('catches a relay without any timeout: the IDE\'s request to it times out', async () => {
  const { result } = await certify(['no-relay-timeout']);
  expect(result.exitCode).toBe(1);
  expect(idsWith(result, 'FAILED')).toEqual(['answers-504-when-saas-hangs']);
  const hung = check(result, 'answers-504-when-saas-hangs')!;
  // A request that gets no response at all is a transport failure: an HTTP response was expected.
  expect(hung.failure?.expected).toBe('an HTTP response');
  expect(hung.failure?.message).toMatch(/no response from gitlab-sm \(POST http:\/\/127\.0\.0\.1:\d+\/api\/v4\/code_suggestions\/tokens\): timed out after \d+ ms/);
  expect(hung.failure?.exchangeId).toBeDefined();
  expect(hung.clauses.map((c) => c.id)).toContain('gitlab.relay.failure');
}, 60_000);

it('tells the user which check failed, under which clause, and what came back', async () => {
  const { console } = await certify(['pass-through-saas-5xx']);
  expect(console).toMatch(/FAILED\s+MUST\s+sm-relay\/answers-5xx-when-saas-fails/);
  expect(console).toContain('gitlab.relay.failure');
  expect(console).toMatch(/expected HTTP 502 from POST http:\/\/127\.0\.0\.1:\d+\/api\/v4\/code_suggestions\/tokens, got 500/);
  expect(console).toContain('something went wrong');
}, 60_000);

it('skips, saying why, the failure modes it cannot drive when the instance cannot reach the harness (a container)', async () => {
  const { result } = await certify([], { inContainer: true });
  const skipped = checksOf(result).filter((c) => c.status === 'SKIPPED');
  expect(skipped.map((c) => c.id).sort()).toEqual(
    [
      'answers-5xx-when-saas-fails',
      'answers-502-for-a-malformed-saas-answer',
      'answers-504-when-saas-hangs',
      'sends-the-stored-token-as-workhorse',
      'passes-extra-token-response-members-through',
      'keeps-the-stored-token-out-of-passed-answers',
    ].sort(),
  );
  for (const c of skipped) expect(c.skipReason).toMatch(/never reached the harness's stand-in SaaS .* cannot reach the harness's loopback/);
  expect(check(result, 'answers-502-when-saas-is-unreachable')!.status).toBe('PASSED');
  expect(idsWith(result, 'FAILED')).toEqual([]);
  expect(result.exitCode).toBe(0);
}, 60_000);
