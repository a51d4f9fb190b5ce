/**
 * Console progress: a line per check (status, severity, id, title) as it ends; a failure or
 * warning prints what was expected, what came back, where (METHOD url -> status) and the
 * clauses; a summary with counts and report paths at the end. --quiet keeps only failures,
 * warnings and the summary.
 */
import type { CheckResult, RecordedExchange, RunNote, RunResult, ScenarioDefinition, ScenarioResult, StackRuntime, TargetSummary } from '../types.js';
import { failureText, failureView } from './format.js';

export interface Writer {
  write(text: string): unknown;
}

export interface ReportPaths {
  json: string;
  junit: string;
  html: string;
}

const COLOURS = { PASSED: 32, FAILED: 31, WARNING: 33, SKIPPED: 90, BLOCKED: 35, INTERRUPTED: 31, FINISHED: 32 } as const;

export class ConsoleReporter {
  constructor(
    private readonly out: Writer,
    private readonly options: { quiet?: boolean; colour?: boolean } = {},
  ) {}

  private paint(status: keyof typeof COLOURS, text: string): string {
    return this.options.colour ? `\u001b[${COLOURS[status]}m${text}\u001b[0m` : text;
  }

  private line(text = ''): void {
    this.out.write(`${text}\n`);
  }

  progress(message: string): void {
    if (!this.options.quiet) this.line(message);
  }

  targets(targets: readonly TargetSummary[], profile: string, runtime?: StackRuntime): void {
    if (this.options.quiet) return;
    this.line(`profile: ${profile}${runtime ? `  runtime: ${runtime}` : ''}`);
    const started = runtime === 'containers' ? '  (container)' : '  (embedded)';
    for (const t of targets) this.line(`  ${t.role.padEnd(12)} ${t.url}${t.embedded ? started : '  (external)'}`);
  }

  scenarioStart(def: ScenarioDefinition): void {
    if (!this.options.quiet) this.line(`\n${def.id}: ${def.title}`);
  }

  check(result: CheckResult, exchanges: readonly RecordedExchange[], scenarioId: string): void {
    const show = !this.options.quiet || result.status === 'FAILED' || result.status === 'WARNING' || result.status === 'BLOCKED';
    if (!show) return;
    const head = `  ${this.paint(result.status, result.status.padEnd(7))} ${result.severity.padEnd(6)} ${this.options.quiet ? `${scenarioId}/` : ''}${result.id}: ${result.title}`;
    this.line(head);
    if (result.status === 'SKIPPED' && result.skipReason) this.line(`          not applicable: ${result.skipReason}`);
    if (result.status === 'BLOCKED' && result.skipReason) this.line(`          blocked: ${result.skipReason}`);
    if (result.failure) this.line(failureText(failureView(result, exchanges), '          '));
    if (result.expectation) {
      this.line(`          known deviation: expected ${result.expectation.expectedStatus} (${result.expectation.reason})${result.expectation.source ? ` [${result.expectation.source}]` : ''}`);
    }
  }

  notes(notes: readonly RunNote[] | undefined): void {
    for (const n of notes ?? []) this.line(`  ${n.level === 'WARNING' ? this.paint('WARNING', 'NOTE') : 'NOTE'} ${n.message}`);
  }

  scenarioEnd(result: ScenarioResult): void {
    if (result.status === 'INTERRUPTED') this.line(`  ${this.paint('INTERRUPTED', 'INTERRUPTED')} ${result.id}: ${result.error ?? ''}`);
    this.notes(result.notes);
  }

  finish(result: RunResult, paths: ReportPaths): void {
    const s = result.summary;
    const interrupted = result.scenarios.filter((x) => x.status === 'INTERRUPTED').length;
    this.notes(result.notes);
    this.line('');
    this.line(
      `${result.exitCode === 0 ? this.paint('PASSED', 'PASS') : this.paint('FAILED', 'FAIL')}: ${result.scenarios.length} scenario(s)${interrupted ? ` (${interrupted} interrupted)` : ''}, ${s.total} checks: ${s.passed} passed, ${s.failed} failed, ${s.warnings} warnings, ${s.skipped} skipped (not applicable), ${s.blocked} blocked`,
    );
    this.line(`reports: ${paths.json}`);
    this.line(`         ${paths.junit}`);
    this.line(`         ${paths.html}`);
  }
}
