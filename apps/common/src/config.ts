import { parseArgs } from 'node:util';
import { z } from 'zod';
import { REDACTED, redactText } from '#contracts';
import { DEFAULT_HTTP_TIMEOUTS, type HttpTimeouts } from './http-server.js';

/** A start-up configuration error: names every bad variable at once. */
export class ConfigError extends Error {
  constructor(
    readonly app: string,
    readonly problems: string[],
  ) {
    super(`${app}: invalid configuration\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export type ConfigSource = Record<string, string | undefined>;

/**
 * One setting of an app: how a user sets it (an environment variable, and a flag unless it is a
 * secret, which `ps` would show), what --help says about it, and its validation. The app reads
 * it under its key in the spec (camelCase).
 */
export interface Setting<S extends z.ZodType = z.ZodType> {
  /** The environment variable, e.g. AIGW_TRUSTED_ISSUERS. */
  env: string;
  /** The command-line flag without `--`, e.g. trusted-issuers. */
  flag?: string;
  /** One line for --help: what it does, its range and unit. */
  doc: string;
  schema: S;
  /** The default as --help shows it, where the schema's own does not tell (it depends on another setting, or is computed). */
  shownDefault?: string;
}

export type Settings = Record<string, Setting>;

/** The typed configuration of a spec: each setting's key with its validated value. */
export type ConfigOf<T extends Settings> = { -readonly [K in keyof T]: z.output<T[K]['schema']> };

export interface ConfigSpec<T extends Settings> {
  app: string;
  settings: T;
  /** Variables that no longer exist, with what replaced them: setting one is an error naming the replacement, never ignored. */
  removed?: Record<string, string>;
  /**
   * Checks across settings; `problem(key, message)` reports one under the setting's variable.
   * zod runs them also when a setting failed a range check (not when it failed to parse): a
   * check compares only values it finds valid.
   */
  refine?: ReadonlyArray<(config: ConfigOf<T>, problem: (key: keyof T & string, message: string) => void) => void>;
}

/** What flags and --help read of a spec (any spec is one, whatever its settings). */
export type SettingsDescription = Pick<ConfigSpec<Settings>, 'app' | 'settings' | 'removed'>;

/** The spec as written (for type inference at the definition). */
export const defineConfig = <T extends Settings>(spec: ConfigSpec<T>): ConfigSpec<T> => spec;

/**
 * Validates a configuration source (environment variables, overridden by command-line flags)
 * against a spec, once, at start-up, and returns the typed configuration. Nothing reads
 * process.env anywhere else. Throws ConfigError naming every bad variable.
 */
export function loadConfig<T extends Settings>(spec: ConfigSpec<T>, source: ConfigSource): ConfigOf<T> {
  const keys = Object.keys(spec.settings) as Array<keyof T & string>;
  const shape: Record<string, z.ZodType> = {};
  for (const key of keys) shape[spec.settings[key]!.env] = spec.settings[key]!.schema;
  for (const [variable, replacement] of Object.entries(spec.removed ?? {})) shape[variable] = z.undefined({ error: replacement }).optional();
  const typed = (raw: Record<string, unknown>) => Object.fromEntries(keys.map((key) => [key, raw[spec.settings[key]!.env]])) as ConfigOf<T>;
  const schema = z.object(shape).superRefine((raw, ctx) => {
    for (const refine of spec.refine ?? []) {
      refine(typed(raw), (key, message) => ctx.addIssue({ code: 'custom', path: [spec.settings[key]!.env], message }));
    }
  });
  // Empty strings mean "unset", as in most twelve-factor tools.
  const cleaned: ConfigSource = {};
  for (const [k, v] of Object.entries(source)) if (v !== undefined && v !== '') cleaned[k] = v;
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(config)';
      const variable = issue.path.length ? String(issue.path[0]) : '';
      const given = variable ? shownValue(variable, cleaned[variable]) : undefined;
      return `${name}: ${issue.message}${given !== undefined ? ` (got '${given}')` : ''}`;
    });
    throw new ConfigError(spec.app, problems);
  }
  return typed(result.data);
}

const SECRET_VARIABLE = /TOKEN|SECRET|PASSWORD|PASSPHRASE|KEY/i;

/** A bad value as an error may repeat it: never a secret, never the credentials of a URL. */
function shownValue(variable: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (SECRET_VARIABLE.test(variable)) return REDACTED;
  return redactText(value.replace(/^(\w+:\/\/)[^/@\s]*@/, `$1${REDACTED}@`));
}

/**
 * Maps command-line flags onto the variables of the spec, e.g. `--mode saas` -> GITLAB_MODE=saas.
 * An unknown flag is a configuration error listing the known ones.
 */
export function flagsToSource(spec: SettingsDescription, argv: string[]): ConfigSource {
  const flags = Object.values(spec.settings).filter((s): s is Setting & { flag: string } => s.flag !== undefined);
  try {
    const { values } = parseArgs({
      args: argv,
      options: Object.fromEntries(flags.map((s) => [s.flag, { type: 'string' as const }])),
      strict: true,
      allowPositionals: false,
    });
    const out: ConfigSource = {};
    for (const s of flags) {
      const v = (values as Record<string, string | undefined>)[s.flag];
      if (v !== undefined) out[s.env] = v;
    }
    return out;
  } catch (e) {
    throw new ConfigError(spec.app, [`command line: ${(e as Error).message}; known flags: ${flags.map((s) => `--${s.flag}`).join(', ')}, --help`]);
  }
}

/** The default --help shows for a setting: its shownDefault, the schema's default, else unset or required. */
export function shownDefault(setting: Setting): string {
  if (setting.shownDefault !== undefined) return setting.shownDefault;
  for (let schema = setting.schema as z.ZodType; ; ) {
    const def = (schema as unknown as { def: { type: string; defaultValue?: unknown; in?: z.ZodType } }).def;
    if (def.type === 'default') return String(def.defaultValue);
    if (def.type === 'optional') return 'unset';
    if (def.type !== 'pipe' || !def.in) return '(required)';
    schema = def.in;
  }
}

/** --help: the summary, then one entry per setting (variable, flag, default, doc) in the spec's order. */
export function configHelp(spec: SettingsDescription, summary: string): string {
  const rows = Object.values(spec.settings).map((s) => ({ names: s.flag ? `${s.env}, --${s.flag}` : s.env, fallback: shownDefault(s), doc: s.doc }));
  const width = Math.max(...rows.map((r) => r.names.length));
  const lines = rows.map((r) => `  ${r.names.padEnd(width)}  (default: ${r.fallback})\n  ${' '.repeat(width)}  ${r.doc}`);
  const removed = Object.entries(spec.removed ?? {}).map(([variable, replacement]) => `  ${variable}: ${replacement}`);
  return [
    `${spec.app}: ${summary}`,
    '',
    'Configuration: environment variables, or the flags after them (a flag wins over its variable).',
    'A bad value stops start-up with exit code 78, naming every bad variable.',
    '',
    ...lines,
    ...(removed.length ? ['', 'Refused (removed):', ...removed] : []),
    '',
  ].join('\n');
}

/** Shared zod helpers for settings. */
export const configFields = {
  port: () => z.coerce.number().int().min(0).max(65535),
  host: () => z.string().min(1).default('127.0.0.1'),
  url: () =>
    z
      .string()
      .url({ message: 'must be an absolute http(s) URL' })
      .refine((u) => /^https?:\/\//.test(u), { message: 'must be an http(s) URL' })
      .transform((u) => u.replace(/\/+$/, '')),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  boolean: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: "must be 'true' or 'false'" })
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1' || v === 'yes'),
  milliseconds: (fallback: number) => z.coerce.number().int().min(0).max(86_400_000).default(fallback),
  /** Secret that enables the harness control API; unset means the API does not exist. */
  controlToken: () => z.string().min(16, { message: 'must be at least 16 characters' }).optional(),
  /** A server bound on receiving a request, in ms: 100 ms to 10 minutes, never unlimited. */
  requestBoundMs: (fallback: number) =>
    z.coerce
      .number({ message: 'must be a whole number of milliseconds' })
      .int({ message: 'must be a whole number of milliseconds' })
      .min(100, { message: 'must be at least 100' })
      .max(600_000, { message: 'must be at most 600000 (10 minutes)' })
      .default(fallback),
};

/**
 * The settings every app has (listen address, control API, logs, request bounds); spread them
 * into the app's settings and add checkHttpTimeouts to its refinements.
 */
export function serverSettings(defaultPort: number) {
  return {
    port: { env: 'PORT', flag: 'port', doc: 'listen port (0 = any free port)', schema: configFields.port().default(defaultPort) },
    host: { env: 'HOST', flag: 'host', doc: 'listen address', schema: configFields.host() },
    controlToken: {
      env: 'HARNESS_CONTROL_TOKEN',
      doc: 'enables the /-/harness control API and its request log (at least 16 characters); never in production. No flag: a secret stays out of `ps`',
      schema: configFields.controlToken(),
    },
    logLevel: { env: 'LOG_LEVEL', flag: 'log-level', doc: 'fatal, error, warn, info, debug, trace or silent', schema: configFields.logLevel() },
    accessLog: {
      env: 'ACCESS_LOG',
      flag: 'access-log',
      doc: "logs every request at info level (Fastify's 'incoming request' and 'request completed' lines, scrubbed, written asynchronously); off by default so the per-keystroke path writes nothing",
      schema: configFields.boolean(false),
    },
    headersTimeoutMs: {
      env: 'HEADERS_TIMEOUT_MS',
      flag: 'headers-timeout-ms',
      doc: 'request headers must arrive within this, 100..600000 ms and at most REQUEST_TIMEOUT_MS; else 408 and the connection is closed',
      schema: configFields.requestBoundMs(DEFAULT_HTTP_TIMEOUTS.headersTimeoutMs),
    },
    requestTimeoutMs: {
      env: 'REQUEST_TIMEOUT_MS',
      flag: 'request-timeout-ms',
      doc: 'the whole request, body included, must arrive within this, 100..600000 ms; 408 comes at most 1 s after the bound',
      schema: configFields.requestBoundMs(DEFAULT_HTTP_TIMEOUTS.requestTimeoutMs),
    },
  } satisfies Settings;
}

export type ServerSettings = ReturnType<typeof serverSettings>;
export type ServerConfig = ConfigOf<ServerSettings>;

/** Node refuses a headers bound above the whole-request bound: a configuration error naming both. */
export function checkHttpTimeouts(c: HttpTimeouts, problem: (key: 'headersTimeoutMs', message: string) => void): void {
  // zod refines after a field's own range check failed: compare only two valid bounds.
  const valid = (ms: number) => configFields.requestBoundMs(0).safeParse(ms).success;
  if (valid(c.headersTimeoutMs) && valid(c.requestTimeoutMs) && c.headersTimeoutMs > c.requestTimeoutMs) {
    problem('headersTimeoutMs', `must not exceed REQUEST_TIMEOUT_MS (${c.requestTimeoutMs}): the headers are part of the request`);
  }
}

/** The request bounds of a configuration as bootstrap's HttpTimeouts. */
export function httpTimeoutsOf(c: HttpTimeouts): HttpTimeouts {
  return { headersTimeoutMs: c.headersTimeoutMs, requestTimeoutMs: c.requestTimeoutMs };
}
