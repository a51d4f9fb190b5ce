/**
 * Expectations: known deviations of a target, kept outside the tests and keyed by stable
 * ids (as web-platform-tests' expectation files and the OpenID suite's expected failures).
 * A result that matches its entry keeps its original status visible in `expectation` and no
 * longer fails the run (FAILED becomes WARNING); an entry that no longer matches is reported
 * as a WARNING note, so the file cannot quietly rot.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { UsageError } from './errors.js';
import type { CheckResult, CheckStatus, RunNote, ScenarioResult } from './types.js';

export interface Expectation {
  scenario: string;
  check: string;
  status: CheckStatus;
  /** Why the deviation is accepted (required: every entry carries its comment). */
  reason: string;
  /** Where the deviation comes from in the target's source (file, line, commit), when known. */
  source?: string;
}

const STATUSES: readonly CheckStatus[] = ['PASSED', 'FAILED', 'WARNING', 'SKIPPED', 'BLOCKED'];

export function parseExpectations(data: unknown, file: string): Expectation[] {
  const list = data ?? [];
  if (!Array.isArray(list)) {
    throw new UsageError(`expectations ${file}: expected a YAML list of {scenario, check, status, reason}`);
  }
  const seen = new Set<string>();
  return list.map((raw, i) => {
    const where = `expectations ${file}: entry ${i + 1}`;
    const e = raw as Partial<Record<keyof Expectation, unknown>>;
    if (!e || typeof e !== 'object' || Array.isArray(e)) throw new UsageError(`${where}: expected a map {scenario, check, status, reason}`);
    const unknown = Object.keys(e).filter((k) => !['scenario', 'check', 'status', 'reason', 'source'].includes(k));
    if (unknown.length) throw new UsageError(`${where}: unknown key(s) ${unknown.join(', ')} (allowed: scenario, check, status, reason, source)`);
    if (e.source !== undefined && (typeof e.source !== 'string' || !e.source.trim())) throw new UsageError(`${where}: 'source' must be a non-empty string`);
    for (const key of ['scenario', 'check', 'reason'] as const) {
      if (typeof e[key] !== 'string' || !(e[key] as string).trim()) {
        throw new UsageError(`${where}: '${key}' must be a non-empty string${key === 'reason' ? ' (say why the deviation is accepted)' : ''}`);
      }
    }
    if (!STATUSES.includes(e.status as CheckStatus)) {
      throw new UsageError(`${where}: 'status' must be one of ${STATUSES.join(', ')}, got ${JSON.stringify(e.status)}`);
    }
    const key = `${e.scenario as string}/${e.check as string}`;
    if (seen.has(key)) throw new UsageError(`${where}: a second entry for ${key}`);
    seen.add(key);
    const entry: Expectation = { scenario: e.scenario as string, check: e.check as string, status: e.status as CheckStatus, reason: e.reason as string };
    if (typeof e.source === 'string') entry.source = e.source;
    return entry;
  });
}

export function readExpectations(file: string): Expectation[] {
  if (!existsSync(file)) throw new UsageError(`expectations file ${file} does not exist`);
  let data: unknown;
  try {
    data = parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`expectations ${file} cannot be parsed: ${(e as Error).message}`);
  }
  return parseExpectations(data, file);
}

type Outcome = { kind: 'matched' } | { kind: 'mismatched'; actual: CheckStatus };

export class ExpectationBook {
  private readonly byKey = new Map<string, Expectation>();
  private readonly outcomes = new Map<string, Outcome>();

  constructor(entries: readonly Expectation[] = []) {
    for (const e of entries) this.byKey.set(`${e.scenario}/${e.check}`, e);
  }

  /** Applies the matching entry, if any, to a check result (in place). */
  apply(scenarioId: string, result: CheckResult): CheckResult {
    const key = `${scenarioId}/${result.id}`;
    const entry = this.byKey.get(key);
    if (!entry || this.outcomes.get(key)?.kind === 'matched') return result;
    if (entry.status !== result.status) {
      this.outcomes.set(key, { kind: 'mismatched', actual: result.status });
      return result;
    }
    this.outcomes.set(key, { kind: 'matched' });
    result.expectation = { expectedStatus: entry.status, reason: entry.reason, ...(entry.source ? { source: entry.source } : {}) };
    if (result.status === 'FAILED') result.status = 'WARNING';
    return result;
  }

  /** WARNING notes for entries of scenarios that ran but did not match. */
  staleNotes(scenarios: readonly ScenarioResult[]): RunNote[] {
    const ran = new Set(scenarios.filter((s) => s.status === 'FINISHED').map((s) => s.id));
    const notes: RunNote[] = [];
    for (const [key, entry] of this.byKey) {
      if (!ran.has(entry.scenario)) continue;
      const outcome = this.outcomes.get(key);
      if (outcome?.kind === 'matched') continue;
      const said = `expected ${entry.status} (${entry.reason})`;
      notes.push({
        level: 'WARNING',
        scenario: entry.scenario,
        check: entry.check,
        message: outcome
          ? `expectation for ${key} no longer matches: ${said}, but the check ended ${outcome.actual}; update or remove the entry`
          : `expectation for ${key} matches no check of this run: ${said}; the check is gone or was renamed, remove or fix the entry`,
      });
    }
    return notes;
  }
}
