/**
 * runConformance: resolve the targets, start the embedded roles the selected scenarios need,
 * run the scenarios in registry order, stop the stack (always: also on error and on
 * SIGINT/SIGTERM), write results.json, junit.xml and report.html, and return the RunResult.
 */
import { join, resolve } from 'node:path';
import { DEFAULT_PORT, type Role } from '#contracts';
import { EXIT, InterruptedError, UsageError } from './errors.js';
import { ExpectationBook, readExpectations } from './expectations.js';
import { DEFAULT_TRUSTED_ISSUERS, type TargetProfile } from './profile.js';
import { TargetWatch } from './target-watch.js';
import { ExchangeRecorder } from './recording/recorder.js';
import { ConsoleReporter, writeReports, type Writer } from './reporters/index.js';
import { notRunResult, runScenario } from './scenario.js';
import { startStack, type RunningStack } from './stack/launcher.js';
import type { RoleTable } from './stack/role-table.js';
import { resolveTargets, rolesToStart } from './targets.js';
import type { RunNote, RunResult, RunSummary, ScenarioDefinition, ScenarioResult, StackRuntime, TargetSummary } from './types.js';
import { toolInfo } from './version.js';

export interface RunConformanceOptions {
  /** The scenario registry (the CLI passes SCENARIOS of ../suites/index.js). */
  scenarios: readonly ScenarioDefinition[];
  /** Ids to run, in any order (run in registry order); all when absent or empty. */
  selected?: readonly string[];
  /** Check ids to run (`--check`); every other check is passed over. All when absent or empty. */
  checks?: readonly string[];
  /** The merged target profile (profile.ts loadTargetProfile / mergeProfiles). */
  profile: TargetProfile;
  /** results.json, junit.xml, report.html and logs/<role>.log go here. */
  reportsDir: string;
  ports: 'default' | 'auto';
  /** How the embedded roles run (default 'embedded': local processes; 'containers': the image, stack/containers.ts). */
  runtime?: StackRuntime;
  /** containers runtime: run this image instead of building the source tree's. */
  image?: string;
  /** Only failures, warnings and the summary on the console. */
  quiet?: boolean;
  /** YAML list of {scenario, check, status, reason}: known deviations. */
  expectationsFile?: string;
  /** Replaces entries of the embedded stack's role-process table (tests run tiny scripts; embedded runtime only). */
  launcher?: Partial<RoleTable>;
  /** Console output (default process.stdout). */
  output?: Writer;
  /** Aborting it interrupts the run as SIGINT would. */
  signal?: AbortSignal;
  /** Listen to SIGINT/SIGTERM while running (default true). */
  handleSignals?: boolean;
  /** Embedded stack tuning (tests). */
  healthTimeoutMs?: number;
  stopGraceMs?: number;
}

/** The scenarios to run, in registry order; unknown ids are a usage error listing the known ones. */
export function selectScenarios(registry: readonly ScenarioDefinition[], selected: readonly string[] = []): ScenarioDefinition[] {
  const ids = new Set<string>();
  for (const s of registry) {
    if (ids.has(s.id)) throw new Error(`the scenario registry has two scenarios with id '${s.id}'`);
    ids.add(s.id);
  }
  const unknown = selected.filter((id) => !ids.has(id));
  if (unknown.length) {
    throw new UsageError(
      `unknown scenario ${unknown.map((u) => `'${u}'`).join(', ')}; known scenarios: ${[...ids].join(', ') || '(none registered)'} (see \`ai-auth-harness list\`)`,
    );
  }
  const chosen = selected.length ? registry.filter((s) => selected.includes(s.id)) : [...registry];
  if (!chosen.length) throw new UsageError('no scenarios to run: the registry (scenarios/suites/index.ts) is empty');
  return chosen;
}

export function summarise(scenarios: readonly ScenarioResult[]): RunSummary {
  const checks = scenarios.flatMap((s) => s.checks);
  const count = (status: string) => checks.filter((c) => c.status === status).length;
  return { passed: count('PASSED'), failed: count('FAILED'), warnings: count('WARNING'), skipped: count('SKIPPED'), blocked: count('BLOCKED'), total: checks.length };
}

export function exitCodeOf(scenarios: readonly ScenarioResult[]): number {
  // A blocked MUST verified nothing: the target was not shown to meet it.
  const failed = scenarios.some(
    (s) => s.status === 'INTERRUPTED' || s.checks.some((c) => c.status === 'FAILED' || (c.status === 'BLOCKED' && c.severity === 'MUST' && !c.expectation)),
  );
  return failed ? 1 : 0;
}

/**
 * An external gateway or self-managed instance is configured with the URL of the issuer it
 * trusts or relays to; `--ports auto` would start that embedded issuer on a port nobody
 * configured. Refused, unless the profile pins the issuer's port.
 */
export function checkPortsPlan(profile: TargetProfile, toStart: readonly Role[], ports: 'default' | 'auto'): void {
  if (ports !== 'auto') return;
  const dependants: Array<[Role, readonly Role[]]> = [
    ['ai-gateway', profile.roles['ai-gateway'].trusted_issuers ?? DEFAULT_TRUSTED_ISSUERS],
    ['gitlab-sm', ['gitlab-saas']],
  ];
  for (const [role, issuers] of dependants) {
    if (!profile.roles[role].url) continue;
    for (const issuer of issuers) {
      if (!toStart.includes(issuer) || profile.roles[issuer].port !== undefined) continue;
      throw new UsageError(
        `--ports auto would start the embedded ${issuer} on a random port, but the external ${role} at ${profile.roles[role].url} ` +
          `must already know ${issuer}'s URL (it ${role === 'ai-gateway' ? 'trusts its tokens' : 'relays to it'}). Pin the port in your profile ` +
          `(roles: { ${issuer}: { port: ${DEFAULT_PORT[issuer]} } }) and configure ${role} with http://127.0.0.1:${DEFAULT_PORT[issuer]}, or drop --ports auto.`,
      );
    }
  }
}

export async function runConformance(options: RunConformanceOptions): Promise<RunResult> {
  const selected = selectScenarios(options.scenarios, options.selected);
  const runtime = options.runtime ?? 'embedded';
  if (runtime === 'containers' && options.launcher) throw new UsageError('a role-process table (launcher) applies to the embedded runtime only');
  checkPortsPlan(options.profile, rolesToStart(selected, options.profile), options.ports);
  const onlyChecks = options.checks?.length ? new Set(options.checks) : undefined;
  const expectations = new ExpectationBook(options.expectationsFile ? readExpectations(options.expectationsFile) : []);
  const output: Writer = options.output ?? process.stdout;
  const reporter = new ConsoleReporter(output, {
    quiet: options.quiet ?? false,
    colour: output === process.stdout && process.stdout.isTTY && !process.env.NO_COLOR,
  });
  const reportsDir = resolve(options.reportsDir);
  const profile = options.profile;
  const profileLabel = profile.source && profile.name !== profile.source ? `${profile.name} (${profile.source})` : profile.name;
  const started = new Date();
  const recorder = new ExchangeRecorder();
  const notes: RunNote[] = [];

  // Interruption: the first SIGINT/SIGTERM (or abort) ends the current scenario as
  // INTERRUPTED and skips the rest; a second one exits at once (the exit hook kills children).
  const abort = new AbortController();
  let interruptReason: string | undefined;
  let markInterrupted!: (reason: string) => void;
  const interrupted = new Promise<string>((r) => (markInterrupted = r));
  const interrupt = (reason: string) => {
    if (interruptReason) {
      if (reason.startsWith('SIG')) process.exit(130);
      return;
    }
    interruptReason = reason;
    output.write(`\ninterrupted by ${reason}: ${reason.startsWith('SIG') ? 'stopping (again to force)' : 'the run ends here'}\n`);
    markInterrupted(reason);
    abort.abort();
  };
  // A target that stops answering ends the run with one clear error instead of a timeout per check.
  const watch = new TargetWatch((role, detail) => interrupt(`${role} stopped answering (${detail})`));
  const onSigint = () => interrupt('SIGINT');
  const onSigterm = () => interrupt('SIGTERM');
  const onAbort = () => interrupt('abort signal');
  if (options.handleSignals !== false) {
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigterm);
  }
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });

  let stack: RunningStack | undefined;
  const results: ScenarioResult[] = [];
  let targets: TargetSummary[] = [];
  try {
    const toStart = rolesToStart(selected, profile);
    try {
      if (toStart.length && !interruptReason) {
        const common = {
          roles: toStart,
          profile,
          ports: options.ports,
          logsDir: join(reportsDir, 'logs'),
          ...(options.healthTimeoutMs !== undefined ? { healthTimeoutMs: options.healthTimeoutMs } : {}),
          ...(options.stopGraceMs !== undefined ? { stopGraceMs: options.stopGraceMs } : {}),
          signal: abort.signal,
          onProgress: (m: string) => reporter.progress(m),
        };
        // Loaded only when asked for: the embedded path never loads testcontainers.
        stack =
          runtime === 'containers'
            ? await (await import('./stack/containers.js')).startContainerStack({ ...common, ...(options.image ? { image: options.image } : {}) })
            : await startStack({ ...common, ...(options.launcher ? { table: options.launcher } : {}) });
      }
    } catch (e) {
      if (!(e instanceof InterruptedError)) throw e;
    }
    stack?.onUnexpectedExit((role, code, signal) => {
      const message = `${runtime === 'containers' ? `the ${role} container` : `the embedded ${role}`} exited during the run (${code !== null ? `exit code ${code}` : `signal ${signal}`}); see ${join(reportsDir, 'logs', `${role}.log`)}`;
      notes.push({ level: 'WARNING', message });
      output.write(`  NOTE ${message}\n`);
    });
    const embedded = new Map<Role, { url: string; logFile: string }>((stack?.roles ?? []).map((r) => [r.role, { url: r.url, logFile: r.logFile }]));
    const resolved = resolveTargets(profile, embedded, stack?.controlToken, recorder);
    targets = [...resolved.values()].map((t) => ({ role: t.role, url: t.url, embedded: t.embedded }));
    reporter.targets(targets, profileLabel, runtime);

    for (const definition of selected) {
      if (interruptReason) {
        results.push(notRunResult(definition, `the run was interrupted by ${interruptReason}`));
        continue;
      }
      reporter.scenarioStart(definition);
      const result = await runScenario({
        definition,
        targets: resolved,
        profile,
        recorder,
        expectations,
        interrupted,
        watch,
        ...(onlyChecks ? { onlyChecks } : {}),
        onCheck: (check, exchanges) => reporter.check(check, exchanges, definition.id),
      });
      results.push(result);
      reporter.scenarioEnd(result);
    }
  } finally {
    await stack?.stop();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
    options.signal?.removeEventListener('abort', onAbort);
  }

  notes.push(...expectations.staleNotes(results));
  const unmatched = [...(onlyChecks ?? [])].filter((id) => !results.some((s) => s.checks.some((c) => c.id === id)));
  if (unmatched.length) {
    notes.push({ level: 'WARNING', message: `--check ${unmatched.join(', ')}: no check of the selected scenarios has this id (see the ids in reports/results.json)` });
  }
  const result: RunResult = {
    tool: toolInfo(),
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    profile: profileLabel,
    runtime,
    targets,
    scenarios: results,
    summary: summarise(results),
    exitCode: unmatched.length ? EXIT.USAGE : exitCodeOf(results),
  };
  if (notes.length) result.notes = notes;
  reporter.finish(result, writeReports(result, reportsDir));
  return result;
}
