/**
 * The command line of ai-auth-harness (cli.ts is the executable; this module is testable
 * without the real scenario registry). Exit codes: 0 pass, 1 a MUST check failed or a
 * scenario was interrupted, 2 usage or profile error, 3 the stack (embedded or containers) failed to start.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify as toYaml } from 'yaml';
import { ROLES, type Role } from '#contracts';
import { EXIT, InterruptedError, StackStartError, UsageError } from './errors.js';
import { loadTargetProfile, type TargetProfile } from './profile.js';
import type { Writer } from './reporters/console.js';
import { runConformance } from './run.js';
import { startStack, type RunningStack } from './stack/launcher.js';
import type { RoleTable } from './stack/role-table.js';
import type { ScenarioDefinition, StackRuntime } from './types.js';
import { toolInfo } from './version.js';

export interface CliDeps {
  /** The scenario registry (cli.ts: SCENARIOS of ../suites/index.js). */
  loadScenarios: () => Promise<readonly ScenarioDefinition[]>;
  stdout: Writer;
  stderr: Writer;
  /** Role-process table overrides (tests). */
  launcher?: Partial<RoleTable>;
  /** `stack`: resolves when the stack should stop (default: SIGINT or SIGTERM). */
  waitForStop?: (stack: RunningStack) => Promise<string>;
}

export const USAGE = `Usage: ai-auth-harness [command] [options]

Commands:
  run (default)   run conformance scenarios against the targets and write reports
  list            list the scenarios (id, title, seeds, roles)
  stack           start every role not given as a target, print URLs and credentials, wait for Ctrl-C

Options (run):
  --scenario ID         run only this scenario (repeatable; default: all)
  --check ID            run only this check (repeatable): it obtains what it needs itself,
                        so it gives the verdict it gives in a full run
  --request-timeout MS  per-request timeout of the harness's HTTP client (default: the profile's
                        options.timeout_ms, 10000); a target that leaves 3 requests in a row
                        unanswered ends the run with one error
  --profile FILE        target profile (YAML/JSON), merged over scenarios/profiles/embedded.yaml
  --target ROLE=URL     use an external implementation of ROLE (repeatable)
                        roles: ${ROLES.join(', ')}
  --reports DIR         where results.json, junit.xml, report.html and logs/ go (default: reports)
  --ports default|auto  embedded ports: the defaults (3000, 3001, 5052, 5053) or free ones
  --runtime embedded|containers
                        how the roles the harness starts run (default embedded): local Node
                        processes, or containers of the project's image (testcontainers; same
                        ports on 127.0.0.1, logs in DIR/logs, containers removed at the end, on
                        Ctrl-C and on failure). containers first runs docker/prepare-host.sh
                        (podman where there is no Docker) and docker/build-image.sh (cached), so
                        the first run takes minutes; their logs go to DIR/logs too
  --image NAME          with --runtime containers: run this image instead of building one
  --expectations FILE   known deviations: YAML list of {scenario, check, status, reason}
  --quiet               print only failures, warnings and the summary
  --help                this text

Options (stack): --profile, --target, --ports, --runtime, --image, --reports (logs go to DIR/logs)

Exit codes: 0 passed; 1 a MUST check failed or a scenario was interrupted;
            2 usage or profile error; 3 the stack (embedded or containers) failed to start.`;

interface ParsedArgs {
  command: 'run' | 'list' | 'stack' | 'help';
  scenario: string[];
  check: string[];
  requestTimeoutMs?: number;
  profile?: string;
  target: string[];
  reports: string;
  ports: 'default' | 'auto';
  runtime: StackRuntime;
  image?: string;
  expectations?: string;
  quiet: boolean;
}

const COMMANDS = ['run', 'list', 'stack', 'help'] as const;
const RUN_ONLY = ['scenario', 'check', 'request-timeout', 'expectations', 'quiet'] as const;
const STACK_AND_RUN = ['profile', 'target', 'reports', 'ports', 'runtime', 'image'] as const;

export function parseCli(argv: readonly string[]): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: {
        scenario: { type: 'string', multiple: true },
        check: { type: 'string', multiple: true },
        'request-timeout': { type: 'string' },
        profile: { type: 'string' },
        target: { type: 'string', multiple: true },
        reports: { type: 'string' },
        ports: { type: 'string' },
        runtime: { type: 'string' },
        image: { type: 'string' },
        expectations: { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UsageError(`${(e as Error).message} (see --help)`);
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) throw new UsageError(`one command at most, got: ${positionals.join(' ')} (see --help)`);
  const command = (positionals[0] ?? 'run') as ParsedArgs['command'];
  if (!COMMANDS.includes(command)) throw new UsageError(`unknown command '${positionals[0]}' (commands: run, list, stack; see --help)`);
  if (values.ports !== undefined && values.ports !== 'default' && values.ports !== 'auto') {
    throw new UsageError(`--ports ${values.ports}: expected 'default' or 'auto'`);
  }
  if (values.runtime !== undefined && values.runtime !== 'embedded' && values.runtime !== 'containers') {
    throw new UsageError(`--runtime ${values.runtime}: expected 'embedded' or 'containers'`);
  }
  if (values.image !== undefined && values.runtime !== 'containers') throw new UsageError('--image applies to --runtime containers only');
  if (command !== 'run') {
    const notHere = command === 'list' ? [...RUN_ONLY, ...STACK_AND_RUN] : RUN_ONLY;
    const misplaced = notHere.filter((k) => values[k] !== undefined);
    if (misplaced.length && !values.help) throw new UsageError(`--${misplaced.join(', --')} does not apply to \`${command}\` (see --help)`);
  }
  const out: ParsedArgs = {
    command: values.help ? 'help' : command,
    scenario: values.scenario ?? [],
    check: values.check ?? [],
    target: values.target ?? [],
    reports: values.reports ?? 'reports',
    ports: (values.ports as 'default' | 'auto' | undefined) ?? 'default',
    runtime: (values.runtime as StackRuntime | undefined) ?? 'embedded',
    quiet: values.quiet ?? false,
  };
  if (values.profile !== undefined) out.profile = values.profile;
  if (values['request-timeout'] !== undefined) {
    const ms = Number(values['request-timeout']);
    if (!Number.isInteger(ms) || ms < 1 || ms > 600_000) throw new UsageError(`--request-timeout ${values['request-timeout']}: expected milliseconds, an integer from 1 to 600000`);
    out.requestTimeoutMs = ms;
  }
  if (values.expectations !== undefined) out.expectations = values.expectations;
  if (values.image !== undefined) out.image = values.image;
  return out;
}

function list(scenarios: readonly ScenarioDefinition[], out: Writer): void {
  if (!scenarios.length) {
    out.write('no scenarios registered\n');
    return;
  }
  const width = Math.max(...scenarios.map((s) => s.id.length));
  for (const s of scenarios) {
    out.write(`${s.id.padEnd(width)}  ${s.title}\n${' '.repeat(width)}  seeds: ${s.seeds.join(', ') || '-'}  roles: ${s.roles.join(', ')}\n`);
  }
}

/** What `stack` prints: each role's URL, the demo credentials, the control token and a ready profile. */
export function describeStack(stack: RunningStack, profile: TargetProfile): string {
  const lines: string[] = ['', 'roles:'];
  const ready: Record<string, { url: string; control_token: string; credentials?: unknown }> = {};
  for (const role of ROLES) {
    const embedded = stack.url(role);
    const url = embedded ?? profile.roles[role].url;
    if (!url) continue;
    lines.push(`  ${role.padEnd(12)} ${url}${embedded ? '' : '  (external, not started)'}`);
    if (embedded) {
      ready[role] = { url, control_token: stack.controlToken };
      // A role with a url takes its credentials only from the user's profile: carry them over.
      const credentials = profile.roles[role].credentials;
      if (credentials) ready[role].credentials = credentials;
    }
  }
  lines.push('', 'credentials (from the profile):');
  for (const role of ['gitlab-saas', 'gitlab-sm'] as Role[]) {
    const c = profile.roles[role].credentials;
    if (!c) continue;
    lines.push(`  ${role}:`);
    if (c.user) lines.push(`    user: ${c.user.username} / ${c.user.password}`);
    for (const [purpose, token] of Object.entries(c.personal_access_tokens ?? {})) lines.push(`    PAT ${purpose.padEnd(20)} ${token}`);
    if (c.service_access_token) lines.push(`    service access token    ${c.service_access_token}`);
  }
  lines.push(
    '',
    `control token (header X-Harness-Control-Token): ${stack.controlToken}`,
    '',
    'to run scenarios against this stack from another shell, save this as stack-profile.yaml and pass --profile stack-profile.yaml:',
    toYaml({ name: 'running-stack', roles: ready })
      .trimEnd()
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n'),
    '',
    'Ctrl-C stops the stack.',
  );
  return `${lines.join('\n')}\n`;
}

async function stackCommand(args: ParsedArgs, deps: CliDeps): Promise<number> {
  const profile = loadTargetProfile({ ...(args.profile ? { profileFile: args.profile } : {}), targets: args.target });
  const roles = ROLES.filter((r) => !profile.roles[r].url);
  if (!roles.length) throw new UsageError('every role is given as a target: there is nothing to start');
  // Signals are ours from before the first spawn: Ctrl-C while a role starts must stop the
  // ones already running, not leave them behind. A second Ctrl-C exits at once (the exit
  // hook of the launcher kills what is left).
  const abort = new AbortController();
  let stop!: (reason: string) => void;
  const stopRequested = new Promise<string>((r) => (stop = r));
  const onSignal = (signal: NodeJS.Signals) => {
    if (abort.signal.aborted) process.exit(130);
    abort.abort();
    stop(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let stack: RunningStack | undefined;
  try {
    const common = { roles, profile, ports: args.ports, logsDir: join(args.reports, 'logs'), signal: abort.signal, onProgress: (m: string) => deps.stdout.write(`${m}\n`) };
    stack =
      args.runtime === 'containers'
        ? await (await import('./stack/containers.js')).startContainerStack({ ...common, ...(args.image ? { image: args.image } : {}) })
        : await startStack({ ...common, ...(deps.launcher ? { table: deps.launcher } : {}) });
    stack.onUnexpectedExit((role, code, signal) => stop(`${role} exited (${code !== null ? `exit code ${code}` : `signal ${signal}`})`));
    deps.stdout.write(describeStack(stack, profile));
    const reason = await (deps.waitForStop ? Promise.race([deps.waitForStop(stack), stopRequested]) : stopRequested);
    deps.stdout.write(`\nstopping (${reason})\n`);
    return reason === 'SIGINT' || reason === 'SIGTERM' || reason === 'stop' ? EXIT.OK : EXIT.FAILED;
  } finally {
    await stack?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export async function runCli(argv: readonly string[], deps: CliDeps): Promise<number> {
  try {
    const args = parseCli(argv);
    switch (args.command) {
      case 'help':
        deps.stdout.write(`${toolInfo().name} ${toolInfo().version}\n\n${USAGE}\n`);
        return EXIT.OK;
      case 'list':
        list(await deps.loadScenarios(), deps.stdout);
        return EXIT.OK;
      case 'stack':
        return await stackCommand(args, deps);
      case 'run': {
        const profile = loadTargetProfile({ ...(args.profile ? { profileFile: args.profile } : {}), targets: args.target });
        if (args.requestTimeoutMs !== undefined) profile.options.timeoutMs = args.requestTimeoutMs;
        const result = await runConformance({
          scenarios: await deps.loadScenarios(),
          selected: args.scenario,
          checks: args.check,
          profile,
          reportsDir: args.reports,
          ports: args.ports,
          runtime: args.runtime,
          ...(args.image ? { image: args.image } : {}),
          quiet: args.quiet,
          ...(args.expectations ? { expectationsFile: args.expectations } : {}),
          ...(deps.launcher ? { launcher: deps.launcher } : {}),
          output: deps.stdout,
        });
        return result.exitCode;
      }
    }
  } catch (e) {
    if (e instanceof UsageError) {
      deps.stderr.write(`error: ${e.message}\n`);
      return EXIT.USAGE;
    }
    if (e instanceof StackStartError) {
      deps.stderr.write(`error: the stack failed to start: ${e.message}\n`);
      return EXIT.STACK;
    }
    if (e instanceof InterruptedError) {
      deps.stderr.write(`${e.message}\n`);
      return EXIT.FAILED;
    }
    deps.stderr.write(`internal error (a harness bug; please report it): ${(e as Error).stack ?? String(e)}\n`);
    return EXIT.FAILED;
  }
}
