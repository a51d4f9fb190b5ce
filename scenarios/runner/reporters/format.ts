/** Text shared by the reporters: what a failure expected, what came back, and where. */
import type { CheckResult, CheckStatus, RecordedExchange, RunResult, ScenarioResult } from '../types.js';

export function formatValue(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

/** `METHOD url -> status` of an exchange (or the transport error instead of a status). */
export function describeExchange(x: RecordedExchange): string {
  const outcome = x.response ? String(x.response.status) : 'no response';
  return `${x.method} ${x.url} -> ${outcome}${x.error ? ` (${x.error})` : ''}`;
}

export function exchangeById(scenario: Pick<ScenarioResult, 'exchanges'> | readonly RecordedExchange[], id: string | undefined): RecordedExchange | undefined {
  if (!id) return undefined;
  const list = Array.isArray(scenario) ? (scenario as readonly RecordedExchange[]) : (scenario as ScenarioResult).exchanges;
  return list.find((x) => x.id === id);
}

export interface FailureView {
  message: string;
  expected?: string;
  actual?: string;
  where?: string;
  clauses: string[];
}

/** The parts every reporter shows for a FAILED or WARNING check. */
export function failureView(check: CheckResult, exchanges: readonly RecordedExchange[]): FailureView {
  const f = check.failure;
  const view: FailureView = {
    message: f?.message ?? check.skipReason ?? '',
    clauses: check.clauses.map((c) => `${c.id} (${c.source})`),
  };
  if (f?.expected !== undefined) view.expected = formatValue(f.expected);
  if (f?.actual !== undefined) view.actual = formatValue(f.actual);
  const x = exchangeById(exchanges, f?.exchangeId);
  if (x) view.where = describeExchange(x);
  return view;
}

/** Multi-line text of a failure view (JUnit bodies, console). */
export function failureText(view: FailureView, indent = ''): string {
  const lines = [view.message];
  const block = (label: string, text: string | undefined) => {
    if (text === undefined) return;
    const [first = '', ...rest] = text.split('\n');
    lines.push(`${label}${first}`, ...rest.map((l) => `${' '.repeat(label.length)}${l}`));
  };
  block('expected: ', view.expected);
  block('actual:   ', view.actual);
  block('where:    ', view.where);
  if (view.clauses.length) block('clauses:  ', view.clauses.join('\n'));
  return lines.map((l) => `${indent}${l}`).join('\n');
}

export function countStatuses(checks: readonly CheckResult[]): Record<CheckStatus, number> {
  const counts: Record<CheckStatus, number> = { PASSED: 0, FAILED: 0, WARNING: 0, SKIPPED: 0, BLOCKED: 0 };
  for (const c of checks) counts[c.status] += 1;
  return counts;
}

export function allChecks(result: RunResult): CheckResult[] {
  return result.scenarios.flatMap((s) => s.checks);
}

export function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}
