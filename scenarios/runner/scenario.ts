/**
 * One scenario's life: run the suite against a fresh context, then read the traffic the
 * emulators observed, and assemble its ScenarioResult. A scenario that throws outside a
 * check, or is interrupted, ends INTERRUPTED with the reason; the checks it ran stay.
 */
import { existsSync, readFileSync } from 'node:fs';
import { contractPath, type Role } from '#contracts';
import { ScenarioRun } from './context.js';
import type { ExpectationBook } from './expectations.js';
import { attributeToChecks, collectObserved, type ObservedSource } from './observed.js';
import type { TargetProfile } from './profile.js';
import type { ExchangeRecorder } from './recording/recorder.js';
import { redactMessage } from './recording/redact.js';
import { CheckFailure } from './signals.js';
import type { TargetWatch } from './target-watch.js';
import type { CheckResult, RecordedExchange, ResolvedTarget, RunNote, ScenarioDefinition, ScenarioResult } from './types.js';

export interface RunScenarioOptions {
  definition: ScenarioDefinition;
  targets: ReadonlyMap<Role, ResolvedTarget>;
  profile: TargetProfile;
  recorder: ExchangeRecorder;
  expectations?: ExpectationBook;
  /** Resolves with a reason (e.g. 'SIGINT') when the run is interrupted. */
  interrupted?: Promise<string>;
  /** Run only these check ids (`--check`). */
  onlyChecks?: ReadonlySet<string>;
  /** Notices a target that stopped answering. */
  watch?: TargetWatch;
  onCheck?: (result: CheckResult, exchanges: readonly RecordedExchange[]) => void;
}

function describeThrown(e: unknown): string {
  if (e instanceof CheckFailure) return `an assertion failed outside any check: ${e.message}`;
  if (e instanceof Error) return e.name && e.name !== 'Error' ? `${e.name}: ${e.message}` : e.message;
  return String(e);
}

export function readContractDiagram(file: string): string {
  return readFileSync(contractPath('diagrams', file), 'utf8');
}

export async function runScenario(options: RunScenarioOptions): Promise<ScenarioResult> {
  const { definition } = options;
  const started = new Date();
  const notes: RunNote[] = [];
  const run = new ScenarioRun({
    scenarioId: definition.id,
    targets: options.targets,
    profile: options.profile,
    recorder: options.recorder,
    ...(options.expectations ? { expectations: options.expectations } : {}),
    ...(options.onlyChecks ? { onlyChecks: options.onlyChecks } : {}),
    ...(options.watch ? { watch: options.watch } : {}),
    onCheck: (result) => options.onCheck?.(result, run.exchanges),
  });
  options.recorder.collectInto(run.exchanges);

  let contractDiagram: string | undefined;
  if (definition.diagram) {
    if (existsSync(contractPath('diagrams', definition.diagram))) contractDiagram = readContractDiagram(definition.diagram);
    else notes.push({ level: 'WARNING', scenario: definition.id, message: `contract diagram contracts/diagrams/${definition.diagram} does not exist` });
  }

  let error: string | undefined;
  let interruptedBy: string | undefined;
  const body = (async () => {
    await definition.run(run);
    await run.drain();
  })();
  try {
    const outcome = await Promise.race([
      body.then(() => undefined),
      (options.interrupted ?? new Promise<never>(() => undefined)).then((reason) => reason),
    ]);
    if (outcome !== undefined) interruptedBy = outcome;
  } catch (e) {
    error = redactMessage(describeThrown(e));
  }
  // A body still running after an interruption must not reject unobserved.
  body.catch(() => undefined);
  if (interruptedBy) {
    run.close();
    error = `interrupted by ${interruptedBy}`;
  } else {
    const sources: ObservedSource[] = [...options.targets.values()]
      .filter((t) => t.control)
      .map((t) => ({ role: t.role, url: t.url, control: t.control! }));
    const observed = await collectObserved(sources, started.toISOString(), options.recorder, run.exchanges);
    run.exchanges.push(...observed.exchanges);
    attributeToChecks(observed.exchanges, run.checks);
    notes.push(...observed.notes.map((n) => ({ ...n, scenario: definition.id })));
    run.close();
  }

  const exchanges = [...run.exchanges].sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
  const result: ScenarioResult = {
    id: definition.id,
    title: definition.title,
    seeds: [...definition.seeds],
    status: error === undefined ? 'FINISHED' : 'INTERRUPTED',
    startedAt: started.toISOString(),
    durationMs: Date.now() - started.getTime(),
    checks: [...run.checks],
    exchanges,
  };
  if (error !== undefined) result.error = error;
  if (contractDiagram !== undefined) result.contractDiagram = contractDiagram;
  if (notes.length) result.notes = notes;
  return result;
}

/** A scenario the run never reached (interrupted before it). */
export function notRunResult(definition: ScenarioDefinition, reason: string): ScenarioResult {
  return {
    id: definition.id,
    title: definition.title,
    seeds: [...definition.seeds],
    status: 'INTERRUPTED',
    error: `not run: ${reason}`,
    startedAt: new Date().toISOString(),
    durationMs: 0,
    checks: [],
    exchanges: [],
  };
}
