import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from './errors.js';
import { ExpectationBook, parseExpectations, readExpectations } from './expectations.js';
import { checkResult, scenarioResult, tempDir } from './test/helpers.js';

describe('expectations', () => {
  const book = () =>
    new ExpectationBook(
      parseExpectations(
        [
          { scenario: 's1', check: 'known-bug', status: 'FAILED', reason: 'issue #12: zero leeway' },
          { scenario: 's1', check: 'fixed-meanwhile', status: 'FAILED', reason: 'issue #13' },
          { scenario: 's1', check: 'renamed-away', status: 'WARNING', reason: 'issue #14' },
          { scenario: 's2', check: 'other', status: 'FAILED', reason: 'scenario not run' },
        ],
        'exp.yaml',
      ),
    );

  it('turns a matching FAILED result into WARNING and keeps the original status visible', () => {
    const b = book();
    const result = b.apply('s1', checkResult({ id: 'known-bug', status: 'FAILED', failure: { message: 'x' } }));
    expect(result.status).toBe('WARNING');
    expect(result.expectation).toEqual({ expectedStatus: 'FAILED', reason: 'issue #12: zero leeway' });
    expect(result.failure).toEqual({ message: 'x' });
  });

  it('leaves results without an entry (or in another scenario) untouched', () => {
    const b = book();
    const unlisted = b.apply('s1', checkResult({ id: 'unlisted', status: 'FAILED' }));
    expect(unlisted.status).toBe('FAILED');
    expect(unlisted).not.toHaveProperty('expectation');
    expect(b.apply('s3', checkResult({ id: 'known-bug', status: 'FAILED' })).status).toBe('FAILED');
  });

  it('reports entries that no longer match as WARNING notes, only for scenarios that ran', () => {
    const b = book();
    b.apply('s1', checkResult({ id: 'known-bug', status: 'FAILED' }));
    const passed = b.apply('s1', checkResult({ id: 'fixed-meanwhile', status: 'PASSED' }));
    expect(passed.status).toBe('PASSED');
    expect(passed.expectation).toBeUndefined();
    const notes = b.staleNotes([scenarioResult({ id: 's1' })]);
    expect(notes).toHaveLength(2);
    expect(notes.every((n) => n.level === 'WARNING' && n.scenario === 's1')).toBe(true);
    expect(notes.find((n) => n.check === 'fixed-meanwhile')!.message).toContain('expected FAILED (issue #13), but the check ended PASSED');
    expect(notes.find((n) => n.check === 'renamed-away')!.message).toContain('matches no check of this run');
  });

  it('reads YAML files and rejects entries without a reason, with a bad status or duplicated', () => {
    const dir = tempDir('aah-exp-');
    const ok = join(dir, 'ok.yaml');
    writeFileSync(ok, '- scenario: s1\n  check: c1\n  status: FAILED\n  reason: upstream bug 42\n');
    expect(readExpectations(ok)).toEqual([{ scenario: 's1', check: 'c1', status: 'FAILED', reason: 'upstream bug 42' }]);
    const bad = (data: unknown) => () => parseExpectations(data, 'e.yaml');
    expect(bad([{ scenario: 's', check: 'c', status: 'FAILED' }])).toThrow(/entry 1: 'reason' must be a non-empty string/);
    expect(bad([{ scenario: 's', check: 'c', status: 'BROKEN', reason: 'r' }])).toThrow(/'status' must be one of/);
    expect(bad({ scenario: 's' })).toThrow(UsageError);
    expect(
      bad([
        { scenario: 's', check: 'c', status: 'FAILED', reason: 'r' },
        { scenario: 's', check: 'c', status: 'SKIPPED', reason: 'r' },
      ]),
    ).toThrow(/entry 2: a second entry for s\/c/);
    expect(bad([{ scenario: 's', check: 'c', status: 'FAILED', reason: 'r', comment: 'x' }])).toThrow(/unknown key\(s\) comment/);
  });
});
