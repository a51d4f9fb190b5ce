import { jest } from '@jest/globals';
import type { Role } from '#contracts';
import { ScenarioRun } from './context.js';
import { ExchangeRecorder } from './recording/recorder.js';
import { condition, need, type ConditionEnv, type Need } from './condition.js';
import { CheckFailure, CheckSkipped } from './signals.js';
import { freePort } from './stack/ports.js';
import { clauseIds, testProfile } from './test/helpers.js';
import type { CheckResult, CheckSpec, ResolvedTarget } from './types.js';

const [CLAUSE] = clauseIds(1) as [string];

function spec(id: string, more: Partial<CheckSpec> = {}): CheckSpec {
  return { id, title: `title ${id}`, severity: 'MUST', clauses: [CLAUSE], ...more };
}

function newRun(targets: ResolvedTarget[] = []) {
  const seen: CheckResult[] = [];
  const recorder = new ExchangeRecorder();
  const run = new ScenarioRun({
    scenarioId: 'test-scenario',
    targets: new Map<Role, ResolvedTarget>(targets.map((t) => [t.role, t])),
    profile: testProfile(),
    recorder,
    onCheck: (r) => seen.push(r),
  });
  recorder.collectInto(run.exchanges);
  return { run, seen };
}

const failure = (message: string) => new CheckFailure({ message, expected: { status: 200 }, actual: { status: 401 } });

describe('check execution', () => {
  it('PASSES a body that returns, and resolves with its value', async () => {
    const { run } = newRun();
    await expect(run.check(spec('ok'), async () => 42)).resolves.toBe(42);
    expect(run.checks[0]).toMatchObject({ id: 'ok', status: 'PASSED', severity: 'MUST' });
    expect(run.checks[0]!.clauses[0]).toMatchObject({ id: CLAUSE });
    expect(run.checks[0]!.clauses[0]!.text.length).toBeGreaterThan(0);
  });

  it('turns a CheckFailure into FAILED in a MUST check and WARNING in a SHOULD check', async () => {
    const { run } = newRun();
    await expect(run.check(spec('must'), async () => Promise.reject(failure('bad status')))).resolves.toBeUndefined();
    await run.check(spec('should', { severity: 'SHOULD' }), async () => Promise.reject(failure('bad status')));
    expect(run.checks.map((c) => [c.id, c.status])).toEqual([
      ['must', 'FAILED'],
      ['should', 'WARNING'],
    ]);
    expect(run.checks[0]!.failure).toEqual({ message: 'bad status', expected: { status: 200 }, actual: { status: 401 } });
  });

  it('ends as SKIPPED with the reason given to scope.skip or CheckSkipped', async () => {
    const { run } = newRun();
    await run.check(spec('a'), async (scope) => scope.skip('no admin token in the profile'));
    await run.check(spec('b'), async () => {
      throw new CheckSkipped('not applicable');
    });
    expect(run.checks.map((c) => [c.status, c.skipReason])).toEqual([
      ['SKIPPED', 'no admin token in the profile'],
      ['SKIPPED', 'not applicable'],
    ]);
  });

  it('BLOCKS the checks whose need could not be obtained, naming it; obtains a need once; SKIPS them when it does not apply', async () => {
    const { run } = newRun();
    let obtained = 0;
    const token = need('a token from the issuer', async () => {
      obtained++;
      throw failure('POST /tokens answered 500');
    });
    const pat = need('the api PAT', async (env) => env.notApplicable('the profile gives no api PAT'));
    const uses = (n: Need<unknown>) => condition({ name: 'EnsureSomething', title: 'uses a need', needs: { n }, evaluate: jest.fn(async () => undefined) });
    const first = uses(token);
    await run.must('first', first, [CLAUSE]);
    await run.should('second', uses(token), [CLAUSE]);
    await run.must('third', uses(pat), [CLAUSE]);
    expect(first.evaluate).not.toHaveBeenCalled();
    expect(obtained).toBe(1);
    expect(run.checks.map((c) => [c.id, c.status, c.prerequisite, c.skipReason])).toEqual([
      ['first', 'BLOCKED', 'a token from the issuer', 'needs a token from the issuer, which could not be obtained: POST /tokens answered 500'],
      ['second', 'BLOCKED', 'a token from the issuer', 'needs a token from the issuer, which could not be obtained: POST /tokens answered 500'],
      ['third', 'SKIPPED', undefined, 'needs the api PAT: the profile gives no api PAT'],
    ]);
    expect(run.checks[0]!.condition).toBe('EnsureSomething');
  });

  it('gives a condition its needs, records MUST/SHOULD from the call site and resolves with what it yields', async () => {
    const { run } = newRun();
    const n = need('a number', async () => 20);
    const doubled = condition({ name: 'EnsureDoubled', title: 'doubles', needs: { n }, evaluate: async ({ n: value }: { n: number }) => value * 2 });
    const refusing = condition({ name: 'EnsureRefused', title: 'refuses', needs: {}, evaluate: async () => Promise.reject(failure('was accepted')) });
    await expect(run.must('doubles', doubled, [CLAUSE], { title: 'a title of the call site' })).resolves.toBe(40);
    await run.should('refuses-as-should', refusing, [CLAUSE]);
    await run.must('refuses-as-must', refusing, [CLAUSE]);
    expect(run.checks.map((c) => [c.id, c.title, c.severity, c.status])).toEqual([
      ['doubles', 'a title of the call site', 'MUST', 'PASSED'],
      ['refuses-as-should', 'refuses', 'SHOULD', 'WARNING'],
      ['refuses-as-must', 'refuses', 'MUST', 'FAILED'],
    ]);
  });

  it('runs the undos a condition registered, latest first, pass or fail; an undo that fails fails the check', async () => {
    const { run } = newRun();
    const order: string[] = [];
    const changes = (outcome: 'pass' | 'fail', undoFails = false) =>
      condition({
        name: 'EnsureRestored',
        title: 'changes the system',
        needs: {},
        async evaluate(_input, env: ConditionEnv) {
          env.restore('the flag', async () => void order.push(`${outcome}: flag back`));
          env.restore('the key', async () => {
            order.push(`${outcome}: key back`);
            if (undoFails) throw new Error('DELETE /keys answered 500');
          });
          if (outcome === 'fail') throw failure('refused');
        },
      });
    await run.must('passes', changes('pass'), [CLAUSE]);
    await run.must('fails', changes('fail'), [CLAUSE]);
    await run.should('undo-fails', changes('pass', true), [CLAUSE]);
    expect(order).toEqual(['pass: key back', 'pass: flag back', 'fail: key back', 'fail: flag back', 'pass: key back', 'pass: flag back']);
    expect(run.checks.map((c) => [c.id, c.status])).toEqual([
      ['passes', 'PASSED'],
      ['fails', 'FAILED'],
      ['undo-fails', 'FAILED'],
    ]);
    expect(run.checks[2]!.failure!.message).toMatch(/could not restore what it changed: the key \(DELETE \/keys answered 500\)/);
  });

  it('passes over, unrecorded, the checks not selected with --check', async () => {
    const seen: CheckResult[] = [];
    const recorder = new ExchangeRecorder();
    const run = new ScenarioRun({ scenarioId: 's', targets: new Map(), profile: testProfile(), recorder, onlyChecks: new Set(['wanted']), onCheck: (r) => seen.push(r) });
    const body = jest.fn(async () => undefined);
    await run.check(spec('unwanted'), body);
    await run.check(spec('wanted'), body);
    expect(body).toHaveBeenCalledTimes(1);
    expect(run.checks.map((c) => c.id)).toEqual(['wanted']);
  });

  it('FAILS with "no response from <role> (<METHOD url>): <cause>" on a transport error and records the exchange', async () => {
    const port = await freePort(); // nothing listens there
    const { run } = newRun([{ role: 'ai-gateway', url: `http://127.0.0.1:${port}`, embedded: false, issuer: 'http://127.0.0.1:1' }]);
    await run.check(spec('reaches-gateway', { severity: 'SHOULD' }), async () => {
      await run.http('ide', 'ai-gateway').request({ method: 'GET', path: '/monitoring/healthz' });
    });
    const result = run.checks[0]!;
    expect(result.status).toBe('FAILED');
    expect(result.failure!.message).toMatch(
      new RegExp(`^no response from ai-gateway \\(GET http://127\\.0\\.0\\.1:${port}/monitoring/healthz\\): .*ECONNREFUSED`),
    );
    expect(result.failure).toMatchObject({ expected: 'an HTTP response', actual: result.failure!.message });
    expect(result.exchangeIds).toHaveLength(1);
    expect(result.failure!.exchangeId).toBe(result.exchangeIds[0]);
    expect(run.exchanges[0]).toMatchObject({ id: result.exchangeIds[0], from: 'ide', to: 'ai-gateway', kind: 'scenario' });
    expect(run.exchanges[0]!.error).toContain('ECONNREFUSED');
  });

  it('FAILS a check citing an unknown clause id without running it, so a typo cannot pass', async () => {
    const { run } = newRun();
    const body = jest.fn(async () => undefined);
    await run.check(spec('typo', { clauses: [CLAUSE, 'seed-000.o2.step-99x'] }), body);
    await run.check(spec('none', { clauses: [] }), body);
    expect(body).not.toHaveBeenCalled();
    expect(run.checks[0]).toMatchObject({ status: 'FAILED' });
    expect(run.checks[0]!.failure!.message).toContain("unknown clause id 'seed-000.o2.step-99x'");
    expect(run.checks[1]!.failure!.message).toContain('cites no clause');
  });

  it('FAILS a duplicate check id without running it', async () => {
    const { run } = newRun();
    await run.check(spec('same'), async () => undefined);
    const body = jest.fn(async () => undefined);
    await run.check(spec('same', { severity: 'SHOULD' }), body);
    expect(body).not.toHaveBeenCalled();
    expect(run.checks[1]).toMatchObject({ id: 'same', status: 'FAILED' });
    expect(run.checks[1]!.failure!.message).toContain("duplicate check id 'same'");
    expect(run.checks[0]).toMatchObject({ id: 'same', status: 'PASSED' });
  });

  it('FAILS with "check threw: ..." when the body throws anything else, whatever the severity', async () => {
    const { run } = newRun();
    await run.check(spec('buggy', { severity: 'SHOULD' }), async () => {
      const state: { token?: string } = {};
      return state.token!.length;
    });
    const result = run.checks[0]!;
    expect(result.status).toBe('FAILED');
    expect(result.failure!.message).toMatch(/^check threw: .*(undefined|null)/);
    expect(String(result.failure!.actual)).toContain('TypeError');
  });

  it('redacts tokens in failure details: a JWT keeps header.payload, a PAT disappears', async () => {
    const { run } = newRun();
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXNlY3JldA';
    await run.check(spec('leaky'), async () => {
      throw new CheckFailure({
        message: `got ${jwt} for glpat-abcdefghijkl`,
        actual: { access_token: jwt, note: 'PRIVATE glpat-abcdefghijkl' },
      });
    });
    const text = JSON.stringify(run.checks[0]);
    expect(text).not.toContain('c2lnbmF0dXJlLXNlY3JldA');
    expect(text).not.toContain('glpat-abcdefghijkl');
    expect(text).toContain('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.[REDACTED]');
  });

  it('runs checks one at a time, in call order, even when the suite does not await them', async () => {
    const { run } = newRun();
    const order: string[] = [];
    let releaseFirst!: () => void;
    const firstGate = new Promise<void>((r) => (releaseFirst = r));
    const a = run.check(spec('a'), async () => {
      order.push('a:start');
      await firstGate;
      order.push('a:end');
    });
    const b = run.check(spec('b'), async () => {
      order.push('b:start');
    });
    await Promise.resolve();
    releaseFirst();
    await Promise.all([a, b]);
    expect(order).toEqual(['a:start', 'a:end', 'b:start']);
    expect(run.checks.map((c) => c.id)).toEqual(['a', 'b']);
  });

  it('FAILS a check started inside another check instead of deadlocking', async () => {
    const { run } = newRun();
    await run.check(spec('outer'), async () => {
      await run.check(spec('inner'), async () => undefined);
    });
    expect(run.checks.map((c) => [c.id, c.status])).toEqual([
      ['inner', 'FAILED'],
      ['outer', 'PASSED'],
    ]);
    expect(run.checks[0]!.failure!.message).toContain("started inside check 'outer'");
  });

  it('reports each result to onCheck as it ends and ignores checks after close()', async () => {
    const { run, seen } = newRun();
    await run.check(spec('one'), async () => undefined);
    run.close();
    await expect(run.check(spec('two'), async () => 'late')).resolves.toBeUndefined();
    expect(seen.map((r) => r.id)).toEqual(['one']);
  });

  it('says which role is missing when a check asks for a target the run does not have', async () => {
    const { run } = newRun();
    await run.check(spec('needs-sm'), async () => run.target('gitlab-sm'));
    expect(run.checks[0]!.failure!.message).toContain("role 'gitlab-sm' is not available in this run");
  });
});
