/**
 * Runs Schemathesis (installed by install.sh beside this file) against a running app with one
 * of the contract documents in contracts/openapi/, with every check, and returns its JSON run
 * report and console output. Used by test/schemathesis.e2e-spec.ts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { contractPath, projectRoot } from '#contracts';

const INSTALL_SCRIPT = join(projectRoot(), 'test', 'tools', 'schemathesis', 'install.sh');

/**
 * Installs the pinned Schemathesis if it is not there yet (idempotent, under a lock) and returns
 * the path of its executable. Throws with the script's output when it fails.
 */
export function installSchemathesis(timeoutMs = 300_000): string {
  const run = spawnSync('bash', [INSTALL_SCRIPT], { encoding: 'utf8', timeout: timeoutMs, env: process.env });
  const lines = (run.stdout ?? '').trim().split('\n');
  if (run.status !== 0 || !lines.at(-1)) {
    throw new Error(`${INSTALL_SCRIPT} failed (exit ${run.status ?? run.signal}):\n${run.stderr}${run.stdout}`);
  }
  return lines.at(-1)!;
}

/** A credential for one securityScheme of the document, in Schemathesis's `auth.openapi` terms. */
export type SchemeCredential = { bearer: string } | { api_key: string };

export interface SchemathesisRun {
  /** The installed executable (installSchemathesis()). */
  executable: string;
  /** A document of contracts/openapi/, e.g. `gitlab.yaml`. */
  document: string;
  /** Base URL of the running app. */
  baseUrl: string;
  /** Credentials by securityScheme name; operations whose schemes have none are called without. */
  auth: Record<string, SchemeCredential>;
  /** Fixed parameter values, `<location>.<name>` -> value (e.g. `header.X-Gitlab-Realm`). */
  parameters?: Record<string, string>;
  /** Only the operations whose path matches / does not match this regular expression. */
  includePathRegex?: string;
  excludePathRegex?: string;
  /** Test cases per operation and phase (bounds the run time). */
  maxExamples: number;
  /** Hypothesis seed: the same seed generates the same cases against the same answers. */
  seed: number;
  /** Where the config file, the report and Hypothesis's files go. */
  workDir: string;
}

/** The parts of Schemathesis's JSON run report (`--report json`) the tests read. */
export interface SchemathesisReport {
  exit_code: number;
  operations: { total: number; selected: number; tested: number; errored: number };
  test_cases: { generated: number; with_failures: number; unique_failures: number; errored: number };
  failures: { code: string; title: string; count: number; operations: string[] }[];
  errors: unknown[];
  warnings: Record<string, unknown[]>;
}

export interface SchemathesisOutcome {
  exitCode: number | null;
  /** Console output (stdout then stderr), credentials masked by Schemathesis. */
  output: string;
  report: SchemathesisReport;
}

/** Runs `schemathesis run` with every check and resolves when it exits. */
export async function runSchemathesis(run: SchemathesisRun): Promise<SchemathesisOutcome> {
  const config = join(run.workDir, 'schemathesis.toml');
  const reportPath = join(run.workDir, 'report.json');
  writeFileSync(config, schemathesisToml(run));
  const args = [
    '--config-file', config,
    'run', contractPath('openapi', run.document),
    '--url', run.baseUrl,
    '--checks', 'all',
    '--max-examples', String(run.maxExamples),
    '--seed', String(run.seed),
    '--generation-database', 'none',
    '--workers', '1',
    '--request-timeout', '10',
    '--report', 'json',
    '--report-json-path', reportPath,
    '--no-color',
    ...(run.includePathRegex ? ['--include-path-regex', run.includePathRegex] : []),
    ...(run.excludePathRegex ? ['--exclude-path-regex', run.excludePathRegex] : []),
  ];
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(run.executable, args, {
      cwd: run.workDir,
      env: { PATH: process.env.PATH ?? '', HOME: run.workDir, LANG: 'C.UTF-8', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('exit', (exitCode) => resolve({ code: exitCode, output: stdout + stderr }));
  });
  let report: SchemathesisReport;
  try {
    report = JSON.parse(readFileSync(reportPath, 'utf8')) as SchemathesisReport;
  } catch (e) {
    throw new Error(`schemathesis wrote no JSON report (exit ${code}): ${(e as Error).message}\n${output}`);
  }
  return { exitCode: code, output, report };
}

/** The run's schemathesis.toml: credentials per securityScheme and fixed parameters. */
function schemathesisToml(run: SchemathesisRun): string {
  const lines: string[] = [];
  for (const [scheme, credential] of Object.entries(run.auth)) {
    lines.push(`[auth.openapi.${tomlKey(scheme)}]`);
    for (const [key, value] of Object.entries(credential)) lines.push(`${key} = ${tomlString(value as string)}`);
    lines.push('');
  }
  if (run.parameters && Object.keys(run.parameters).length) {
    lines.push('[parameters]');
    for (const [key, value] of Object.entries(run.parameters)) lines.push(`${tomlString(key)} = ${tomlString(value)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A TOML basic string: JSON's escapes are valid TOML escapes. */
function tomlString(value: string): string {
  return JSON.stringify(value);
}

function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : tomlString(key);
}
