/**
 * The ScenarioContext a suite runs against, and check execution. Severity is decided at the
 * call site (CheckSpec.severity): a CheckFailure in a MUST check is FAILED, in a SHOULD check
 * WARNING. Anything that keeps a check from being evaluated (no response, unknown clause id,
 * duplicate id, a body that threw) is FAILED whatever the severity: a harness bug must be
 * visible, never swallowed. Checks run one at a time, in call order.
 */
import { clause, type Role } from '../../contracts/src/index.js';
import type { ExpectationBook } from './expectations.js';
import { credentialsFor, type TargetProfile } from './profile.js';
import { RecordingHttpClient } from './recording/http-client.js';
import type { CheckFrame, ExchangeRecorder } from './recording/recorder.js';
import { redactForReport, redactMessage } from './recording/redact.js';
import { CheckFailure, CheckSkipped, TransportError } from './signals.js';
import type {
  CheckFailureDetail,
  CheckResult,
  CheckScope,
  CheckSpec,
  CheckStatus,
  ClauseRef,
  GitlabCredentials,
  HttpClient,
  Participant,
  RecordedExchange,
  ResolvedTarget,
  ScenarioContext,
} from './types.js';

export interface ScenarioRunOptions {
  scenarioId: string;
  targets: ReadonlyMap<Role, ResolvedTarget>;
  profile: TargetProfile;
  recorder: ExchangeRecorder;
  expectations?: ExpectationBook;
  /** Called with each final check result, in order (progress output). */
  onCheck?: (result: CheckResult) => void;
}

const scope: CheckScope = {
  skip(reason: string): never {
    throw new CheckSkipped(reason);
  },
};

type Verdict = Pick<CheckResult, 'status' | 'failure' | 'skipReason'>;

export class ScenarioRun implements ScenarioContext {
  readonly scenarioId: string;
  readonly checks: CheckResult[] = [];
  readonly exchanges: RecordedExchange[] = [];
  /** Status each check id ended with before any expectation turned it (dependsOn and passed() use it). */
  private readonly original = new Map<string, CheckStatus>();
  private queue: Promise<void> = Promise.resolve();
  private open = true;

  constructor(private readonly options: ScenarioRunOptions) {
    this.scenarioId = options.scenarioId;
  }

  target(role: Role): ResolvedTarget {
    const target = this.options.targets.get(role);
    if (!target) {
      throw new Error(
        `role '${role}' is not available in this run: list it in the scenario's roles (so the embedded stack starts it) or give it a URL (--target ${role}=URL)`,
      );
    }
    return target;
  }

  credentials(role: Role): GitlabCredentials {
    return credentialsFor(this.options.profile, role);
  }

  http(from: Participant, to: Role): HttpClient {
    return new RecordingHttpClient({
      recorder: this.options.recorder,
      from,
      to,
      baseUrl: this.target(to).url,
      timeoutMs: this.options.profile.options.timeoutMs,
      isOpen: () => this.open,
    });
  }

  passed(checkId: string): boolean {
    const status = this.original.get(checkId);
    return status === 'PASSED' || status === 'WARNING';
  }

  check<T>(spec: CheckSpec, body: (scope: CheckScope) => Promise<T>): Promise<T | undefined> {
    const outer = this.options.recorder.currentCheck();
    if (outer) {
      // Queuing behind the outer check would wait for ourselves; fail loudly instead.
      this.record(spec, Date.now(), [], {
        status: 'FAILED',
        failure: { message: `checks cannot be nested: '${spec.id}' was started inside check '${outer.checkId}'` },
      });
      return Promise.resolve(undefined);
    }
    const turn = this.queue.then(() => this.execute(spec, body));
    this.queue = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  /** Resolves when every check called so far has ended. */
  drain(): Promise<void> {
    return this.queue;
  }

  /** After this, checks are ignored and requests refused (the scenario ended or was interrupted). */
  close(): void {
    this.open = false;
  }

  private async execute<T>(spec: CheckSpec, body: (scope: CheckScope) => Promise<T>): Promise<T | undefined> {
    if (!this.open) return undefined;
    const started = Date.now();
    const { refused, clauses } = this.precondition(spec);
    if (refused) {
      this.record(spec, started, [], refused, clauses);
      return undefined;
    }
    const frame: CheckFrame = { checkId: spec.id, exchangeIds: [] };
    let value: T | undefined;
    let verdict: Verdict;
    try {
      value = await this.options.recorder.runInCheck(frame, () => body(scope));
      verdict = { status: 'PASSED' };
    } catch (e) {
      verdict = this.verdictOf(spec, e, frame);
    }
    const result = this.record(spec, started, [...frame.exchangeIds], verdict, clauses);
    return result && verdict.status === 'PASSED' ? value : undefined;
  }

  /** Reasons not to run the body at all: duplicate id, bad clause ids or severity, unmet dependencies. */
  private precondition(spec: CheckSpec): { refused?: Verdict; clauses: ClauseRef[] } {
    const clauses: ClauseRef[] = [];
    const unknown: string[] = [];
    for (const id of spec.clauses ?? []) {
      try {
        const c = clause(id);
        clauses.push({ id: c.id, source: c.source, text: c.text });
      } catch {
        unknown.push(id);
      }
    }
    const fail = (message: string) => ({ refused: { status: 'FAILED' as const, failure: { message } }, clauses });
    if (this.original.has(spec.id)) {
      return fail(`duplicate check id '${spec.id}' in scenario ${this.scenarioId}: check ids must be unique (the first one ended ${this.original.get(spec.id)})`);
    }
    if (spec.severity !== 'MUST' && spec.severity !== 'SHOULD') {
      return fail(`unknown severity ${JSON.stringify(spec.severity)} (MUST or SHOULD)`);
    }
    if (unknown.length) {
      return fail(`unknown clause id ${unknown.map((id) => `'${id}'`).join(', ')}: not in contracts/clauses.yaml`);
    }
    if (!clauses.length) {
      return fail('the check cites no clause: every check names the clause it verifies (contracts/clauses.yaml)');
    }
    for (const dep of spec.dependsOn ?? []) {
      if (!this.passed(dep)) {
        return { refused: { status: 'SKIPPED', skipReason: `depends on ${dep}, which ${this.original.get(dep) ?? 'did not run'}` }, clauses };
      }
    }
    return { clauses };
  }

  private verdictOf(spec: CheckSpec, e: unknown, frame: CheckFrame): Verdict {
    if (e instanceof CheckSkipped) return { status: 'SKIPPED', skipReason: redactMessage(e.reason) };
    if (e instanceof CheckFailure) {
      const failure: CheckFailureDetail = { message: redactMessage(e.detail.message) };
      if (e.detail.expected !== undefined) failure.expected = redactForReport(e.detail.expected);
      if (e.detail.actual !== undefined) failure.actual = redactForReport(e.detail.actual);
      const exchangeId = e.detail.exchangeId ?? this.lastScenarioExchange(frame);
      if (exchangeId) failure.exchangeId = exchangeId;
      return { status: spec.severity === 'MUST' ? 'FAILED' : 'WARNING', failure };
    }
    if (e instanceof TransportError) {
      const message = redactMessage(e.message);
      return { status: 'FAILED', failure: { message, expected: 'an HTTP response', actual: message, exchangeId: e.exchangeId } };
    }
    const err = e instanceof Error ? e : new Error(String(e));
    const failure: CheckFailureDetail = {
      message: redactMessage(`check threw: ${err.message}`),
      actual: redactMessage((err.stack ?? `${err.name}: ${err.message}`).split('\n').slice(0, 6).join('\n')),
    };
    const exchangeId = this.lastScenarioExchange(frame);
    if (exchangeId) failure.exchangeId = exchangeId;
    return { status: 'FAILED', failure };
  }

  private lastScenarioExchange(frame: CheckFrame): string | undefined {
    const ids = new Set(frame.exchangeIds);
    return [...this.exchanges].reverse().find((x) => ids.has(x.id) && x.kind === 'scenario')?.id ?? frame.exchangeIds.at(-1);
  }

  private record(spec: CheckSpec, started: number, exchangeIds: string[], verdict: Verdict, clauses: ClauseRef[] = []): CheckResult | undefined {
    if (!this.open) return undefined;
    const result: CheckResult = {
      id: spec.id,
      title: spec.title,
      severity: spec.severity,
      status: verdict.status,
      clauses,
      durationMs: Date.now() - started,
      exchangeIds,
    };
    if (verdict.failure) result.failure = verdict.failure;
    if (verdict.skipReason !== undefined) result.skipReason = verdict.skipReason;
    if (!this.original.has(spec.id)) this.original.set(spec.id, verdict.status);
    this.options.expectations?.apply(this.scenarioId, result);
    this.checks.push(result);
    this.options.onCheck?.(result);
    return result;
  }
}
