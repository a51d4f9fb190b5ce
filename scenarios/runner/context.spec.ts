import { jest } from '@jest/globals';
import type { Role } from '../../contracts/src/index.js';
import { ScenarioRun } from './context.js';
import { ExchangeRecorder } from './recording/recorder.js';
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
    expect(run.passed('ok')).toBe(true);
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
    expect(run.passed('must')).toBe(false);
    expect(run.passed('should')).toBe(true);
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

  it('BLOCKS a check whose dependency failed or never ran, and makes it not applicable when the dependency did not apply', async () => {
    const { run } = newRun();
    await run.check(spec('first'), async () => Promise.reject(failure('nope')));
    await run.check(spec('warned', { severity: 'SHOULD' }), async () => Promise.reject(failure('meh')));
    const body = jest.fn(async () => 'ran');
    await run.check(spec('after-failed', { dependsOn: ['first'] }), body);
    await run.check(spec('after-missing', { dependsOn: ['never-ran'] }), body);
    await run.check(spec('after-skipped', { dependsOn: ['after-failed'] }), body);
    expect(body).not.toHaveBeenCalled();
    await expect(run.check(spec('after-warned', { dependsOn: ['warned'] }), body)).resolves.toBe('ran');
    expect(run.checks.slice(2).map((c) => [c.id, c.status, c.skipReason])).toEqual([
      ['after-failed', 'BLOCKED', 'depends on first, which FAILED'],
      ['after-missing', 'BLOCKED', 'depends on never-ran, which did not run'],
      ['after-skipped', 'BLOCKED', 'depends on after-failed, which BLOCKED'],
      ['after-warned', 'PASSED', undefined],
    ]);
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

  it('FAILS a duplicate check id and keeps the first result for passed()', async () => {
    const { run } = newRun();
    await run.check(spec('same'), async () => undefined);
    const body = jest.fn(async () => undefined);
    await run.check(spec('same', { severity: 'SHOULD' }), body);
    expect(body).not.toHaveBeenCalled();
    expect(run.checks[1]).toMatchObject({ id: 'same', status: 'FAILED' });
    expect(run.checks[1]!.failure!.message).toContain("duplicate check id 'same'");
    expect(run.passed('same')).toBe(true);
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
