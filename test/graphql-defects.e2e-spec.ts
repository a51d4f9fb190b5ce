/**
 * scoped-graphql against GitLab GraphQL APIs it has never seen. A proxy in front of the gitlab
 * emulator (test/doubles/graphql-defect-proxy.ts) gives every check the verdict the emulator
 * gets when it adds no defect (the scenario is tied to the profile, not to the emulator's URL),
 * and each defect switched on makes the checks that guard against it fail, naming the clause:
 * an ai_features token that may update issues (the seed's third call), a read_user token whose
 * subscriptions are confirmed. The gateway and the model are the embedded emulators.
 */
import { mergeProfiles, readEmbeddedProfile } from '../scenarios/runner/profile.js';
import { runConformance } from '../scenarios/runner/run.js';
import type { RunningStack } from '../scenarios/runner/stack/launcher.js';
import type { CheckResult, CheckStatus, RunResult } from '../scenarios/runner/types.js';
import { scopedGraphql } from '../scenarios/suites/scoped-graphql/index.js';
import { startGraphqlDefectProxy, type GraphqlDefect } from './doubles/graphql-defect-proxy.js';
import { demoCredentials, roleUrl, startEmbedded, targetsOf, tempDir } from './support.js';

let shared: RunningStack;
/** Each check's verdict against the emulator itself, the baseline a transparent proxy must match. */
let direct: Map<string, CheckStatus>;

const GRAPHQL_ISSUE = { project_path: 'twitter/Typeahead.Js', iid: 7 };

beforeAll(async () => {
  shared = await startEmbedded(['fake-model', 'gitlab-saas', 'ai-gateway'], { profile: { roles: { 'ai-gateway': { trusted_issuers: ['gitlab-saas'] } } } });
  direct = verdicts(await certify(roleUrl(shared, 'gitlab-saas')));
}, 120_000);
afterAll(() => shared?.stop());

async function certify(gitlabUrl: string): Promise<RunResult> {
  const targets = targetsOf(shared);
  return runConformance({
    scenarios: [scopedGraphql],
    profile: mergeProfiles(readEmbeddedProfile(), {
      roles: { ...targets, 'gitlab-saas': { ...targets['gitlab-saas'], url: gitlabUrl, graphql_issue: GRAPHQL_ISSUE } },
    }),
    reportsDir: tempDir('graphql-defect'),
    ports: 'auto',
    quiet: true,
    handleSignals: false,
    output: { write: () => true },
  });
}

/** Runs scoped-graphql with the proxy as gitlab-saas. */
async function certifyThroughProxy(defects: GraphqlDefect[]): Promise<RunResult> {
  const pats = demoCredentials('gitlab-saas').personal_access_tokens!;
  const proxy = await startGraphqlDefectProxy({
    upstream: roleUrl(shared, 'gitlab-saas'),
    tokens: { aiFeatures: pats.ai_features!, readUser: pats.read_user!, api: pats.api! },
    defects,
  });
  try {
    return await certify(proxy.url);
  } finally {
    await proxy.close();
  }
}

const checksOf = (result: RunResult): CheckResult[] => result.scenarios.flatMap((s) => s.checks);
const verdicts = (result: RunResult) => new Map(checksOf(result).map((c) => [c.id, c.status] as const));
/** Checks that passed against the emulator and not here, as `id: STATUS`. */
const newlyBroken = (result: RunResult) =>
  checksOf(result)
    .filter((c) => direct.get(c.id) === 'PASSED' && c.status !== 'PASSED')
    .map((c) => `${c.id}: ${c.status}`)
    .sort();

it('runs every check of the scenario against the emulator, the matrix and the seed calls passing', () => {
  expect(direct.size).toBeGreaterThanOrEqual(35);
  for (const id of ['allows-seed-ai-action-with-ai-features', 'allows-update-issue-with-api', 'denies-update-issue-with-ai-features', 'denies-ai-completion-response-with-read-user']) expect(direct.get(id)).toBe('PASSED');
});

it('gives every check the same verdict through the proxy without defects: the scenario follows the profile, not the emulator', async () => {
  const result = await certifyThroughProxy([]);
  expect(result.scenarios[0]!.status).toBe('FINISHED');
  expect(verdicts(result)).toEqual(direct);
}, 120_000);

it("catches an ai_features token that may update issues (the seed's third call), and that the write went through", async () => {
  const result = await certifyThroughProxy(['ai-features-updates-issues']);
  const broken = newlyBroken(result);
  expect(broken).toContain('denies-update-issue-with-ai-features: FAILED');
  expect(broken.filter((b) => !b.startsWith('follows-the-sequence-diagram'))).toEqual(['denies-update-issue-with-ai-features: FAILED']);
  const failed = checksOf(result).find((c) => c.id === 'denies-update-issue-with-ai-features')!;
  expect(failed.failure?.message).toContain("don't have permission to perform this action");
  expect(failed.clauses.map((c) => c.id)).toContain('seed-004.ai-features-no-update-issue');
  expect(result.exitCode).toBe(1);
}, 120_000);

it('catches a cable that confirms subscriptions of a read_user token', async () => {
  const result = await certifyThroughProxy(['accepts-read-user-subscriptions']);
  expect(newlyBroken(result)).toEqual([
    'denies-ai-completion-response-with-read-user: FAILED',
    'denies-ai-message-fields-with-read-user: FAILED',
    'rejects-a-subscription-with-a-read-user-token: FAILED',
  ]);
  const failed = checksOf(result).find((c) => c.id === 'rejects-a-subscription-with-a-read-user-token')!;
  expect(failed.failure?.actual).toMatchObject({ outcome: 'confirmed' });
  expect(failed.clauses.map((c) => c.id)).toEqual(['gitlab.cable.graphql-channel']);
}, 120_000);
