/**
 * The ScenarioContext a suite runs against, and check execution. Severity is decided at the
 * call site (CheckSpec.severity): a CheckFailure in a MUST check is FAILED, in a SHOULD check
 * WARNING. Anything that keeps a check from being evaluated (no response, unknown clause id,
 * duplicate id, a body that threw) is FAILED whatever the severity: a harness bug must be
 * visible, never swallowed. Checks run one at a time, in call order.
 */
import { randomBytes } from 'node:crypto';
import { clause, type Role } from '#contracts';
import type { ExpectationBook } from './expectations.js';
import { credentialsFor, type TargetProfile } from './profile.js';
import { RecordingHttpClient } from './recording/http-client.js';
import type { CheckFrame, ExchangeRecorder } from './recording/recorder.js';
import { redactForReport, redactMessage } from './recording/redact.js';
import type { CallOptions, Condition, ConditionEnv, Need, NeedEnv } from './condition.js';
import { CheckFailure, CheckSkipped, NeedUnavailable, TransportError } from './signals.js';
import { requestsDuringCheck, type ObservedSource } from './observed.js';
import type { TargetWatch } from './target-watch.js';
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
  /** Run only these check ids (`--check`); every other call is passed over unrecorded. */
  onlyChecks?: ReadonlySet<string>;
  /** Notices a target that stopped answering (the run then ends early). */
  watch?: TargetWatch;
}

/** How obtaining a need ended; memoised so every check sees the same outcome. */
type NeedOutcome = { ok: true; value: unknown } | { ok: false; error: unknown };

const scope: CheckScope = {
  skip(reason: string): never {
    throw new CheckSkipped(reason);
  },
};

type Verdict = Pick<CheckResult, 'status' | 'failure' | 'skipReason' | 'prerequisite'>;

export class ScenarioRun implements ScenarioContext {
  readonly scenarioId: string;
  readonly checks: CheckResult[] = [];
  readonly exchanges: RecordedExchange[] = [];
  /** Status each check id ended with before any expectation turned it (duplicate ids are refused by it). */
  private readonly original = new Map<string, CheckStatus>();
  private queue: Promise<void> = Promise.resolve();
  private open = true;
  private readonly needs = new Map<Need<unknown>, Promise<NeedOutcome>>();

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
      ...(this.options.watch ? { watch: this.options.watch } : {}),
    });
  }

  must<Out>(id: string, condition: Condition<any, Out>, clauses: string[], options: CallOptions = {}): Promise<Out | undefined> {
    return this.evaluate(id, 'MUST', condition, clauses, options);
  }

  should<Out>(id: string, condition: Condition<any, Out>, clauses: string[], options: CallOptions = {}): Promise<Out | undefined> {
    return this.evaluate(id, 'SHOULD', condition, clauses, options);
  }

  async need<T>(need: Need<T>): Promise<T> {
    const outcome = await this.obtain(need);
    if (outcome.ok) return outcome.value as T;
    throw outcome.error;
  }

  private evaluate<Out>(id: string, severity: 'MUST' | 'SHOULD', condition: Condition<any, Out>, clauses: string[], options: CallOptions): Promise<Out | undefined> {
    const spec: CheckSpec = { id, title: options.title ?? condition.title, severity, clauses };
    return this.check(spec, async () => {
      const input: Record<string, unknown> = {};
      for (const [key, n] of Object.entries(condition.needs as Record<string, Need<unknown>>)) input[key] = await this.need(n);
      const undo: Array<{ what: string; run: () => Promise<unknown> }> = [];
      const frame = this.options.recorder.currentCheck();
      const env: ConditionEnv = {
        ...this.needEnv(),
        restore: (what, run) => void undo.push({ what, run }),
        attach: (name, text) => {
          if (frame) frame.attachments = { ...frame.attachments, [name]: text };
        },
        requestsSoFar: (since) => requestsDuringCheck({ exchangeIds: [], ...frame, ...(since !== undefined ? { startedAt: since } : {}) }, this.exchanges, this.observableRoles()),
      };
      let failed: unknown;
      let value: Out | undefined;
      try {
        value = await condition.evaluate(input, env);
      } catch (e) {
        failed = e;
      }
      const unrestored: string[] = [];
      for (const step of undo.reverse()) {
        try {
          await step.run();
        } catch (e) {
          unrestored.push(`${step.what} (${(e as Error).message})`);
        }
      }
      if (unrestored.length) {
        const message = `the check could not restore what it changed: ${unrestored.join('; ')}; later checks may see a changed system`;
        if (failed instanceof CheckFailure) failed.detail.message = `${failed.detail.message}; and ${message}`;
        else if (failed === undefined) throw new RestoreFailed(message);
      }
      if (failed !== undefined) throw failed;
      return value as Out;
    }, condition.name);
  }

  private needEnv(): NeedEnv {
    return {
      scenarioId: this.scenarioId,
      target: (role) => this.target(role),
      credentials: (role) => this.credentials(role),
      http: (from, to) => this.http(from, to),
      ideClient: () => this.options.profile.ideClient,
      need: (n) => this.need(n),
      notApplicable: scope.skip,
    };
  }

  /** The roles whose request log the harness can read (their control API). */
  private observableRoles(): ObservedSource[] {
    return [...this.options.targets.values()].filter((t) => t.control).map((t) => ({ role: t.role, url: t.url, control: t.control! }));
  }

  /** Obtains a need once per scenario run; later callers get the same value or the same failure. */
  private obtain<T>(need: Need<T>): Promise<NeedOutcome> {
    let outcome = this.needs.get(need as Need<unknown>);
    if (!outcome) {
      outcome = need.obtain(this.needEnv()).then(
        (value): NeedOutcome => ({ ok: true, value }),
        (error): NeedOutcome => ({
          ok: false,
          error:
            error instanceof CheckSkipped
              ? new CheckSkipped(`needs ${need.name}: ${error.reason}`)
              : new NeedUnavailable(need.name, describeNeedError(error)),
        }),
      );
      this.needs.set(need as Need<unknown>, outcome);
    }
    return outcome;
  }

  check<T>(spec: CheckSpec, body: (scope: CheckScope) => Promise<T>, conditionName?: string): Promise<T | undefined> {
    if (this.options.onlyChecks && !this.options.onlyChecks.has(spec.id)) return Promise.resolve(undefined);
    const outer = this.options.recorder.currentCheck();
    if (outer) {
      // Queuing behind the outer check would wait for ourselves; fail loudly instead.
      this.record(spec, Date.now(), [], {
        status: 'FAILED',
        failure: { message: `checks cannot be nested: '${spec.id}' was started inside check '${outer.checkId}'` },
      });
      return Promise.resolve(undefined);
    }
    const turn = this.queue.then(() => this.execute(spec, body, conditionName));
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

  private async execute<T>(spec: CheckSpec, body: (scope: CheckScope) => Promise<T>, conditionName?: string): Promise<T | undefined> {
    if (!this.open) return undefined;
    const started = Date.now();
    const { refused, clauses } = this.precondition(spec);
    if (refused) {
      this.record(spec, started, [], refused, clauses, conditionName);
      return undefined;
    }
    const frame: CheckFrame = { checkId: spec.id, exchangeIds: [], traceId: randomBytes(16).toString('hex'), startedAt: started };
    let value: T | undefined;
    let verdict: Verdict;
    try {
      value = await this.options.recorder.runInCheck(frame, () => body(scope));
      verdict = { status: 'PASSED' };
    } catch (e) {
      verdict = this.verdictOf(spec, e, frame);
    }
    const result = this.record(spec, started, [...frame.exchangeIds], verdict, clauses, conditionName, frame.traceId);
    if (result && frame.attachments) result.attachments = frame.attachments;
    return result && verdict.status === 'PASSED' ? value : undefined;
  }

  /** Reasons not to run the body at all: duplicate id, bad clause ids or severity. */
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
    return { clauses };
  }

  private verdictOf(spec: CheckSpec, e: unknown, frame: CheckFrame): Verdict {
    if (e instanceof CheckSkipped) return { status: 'SKIPPED', skipReason: redactMessage(e.reason) };
    if (e instanceof NeedUnavailable) return { status: 'BLOCKED', skipReason: redactMessage(e.message), prerequisite: e.need };
    if (e instanceof RestoreFailed) return { status: 'FAILED', failure: { message: redactMessage(e.message) } };
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

  private record(spec: CheckSpec, started: number, exchangeIds: string[], verdict: Verdict, clauses: ClauseRef[] = [], conditionName?: string, traceId?: string): CheckResult | undefined {
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
    if (verdict.prerequisite !== undefined) result.prerequisite = verdict.prerequisite;
    if (conditionName !== undefined) result.condition = conditionName;
    if (traceId !== undefined) result.traceId = traceId;
    if (!this.original.has(spec.id)) this.original.set(spec.id, verdict.status);
    this.options.expectations?.apply(this.scenarioId, result);
    this.checks.push(result);
    this.options.onCheck?.(result);
    return result;
  }
}

/** A check passed but could not put back what it changed: FAILED whatever its severity. */
class RestoreFailed extends Error {}

/** Why a need could not be obtained, in one line: an assertion's message, a transport error, or the thrown error. */
function describeNeedError(error: unknown): string {
  if (error instanceof CheckFailure) return error.detail.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
