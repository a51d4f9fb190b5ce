import { parseArgs } from 'node:util';
import { z } from 'zod';
import { REDACTED, redactText } from '../../../contracts/src/index.js';
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
 * Validates a configuration source (environment variables, overridden by command-line flags)
 * against a zod schema, once, at start-up. Nothing reads process.env anywhere else.
 */
export function loadConfig<S extends z.ZodType>(app: string, schema: S, source: ConfigSource): z.infer<S> {
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
    throw new ConfigError(app, problems);
  }
  return result.data;
}

const SECRET_VARIABLE = /TOKEN|SECRET|PASSWORD|PASSPHRASE|KEY/i;

/** A bad value as an error may repeat it: never a secret, never the credentials of a URL. */
function shownValue(variable: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (SECRET_VARIABLE.test(variable)) return REDACTED;
  return redactText(value.replace(/^(\w+:\/\/)[^/@\s]*@/, `$1${REDACTED}@`));
}

/**
 * Maps command-line flags onto the variable names of the config schema, e.g.
 * `--mode saas` -> GITLAB_MODE=saas. Unknown flags are a configuration error too.
 */
export function flagsToSource(app: string, argv: string[], flags: Record<string, string>): ConfigSource {
  try {
    const { values } = parseArgs({
      args: argv,
      options: Object.fromEntries(Object.keys(flags).map((f) => [f, { type: 'string' as const }])),
      strict: true,
      allowPositionals: false,
    });
    const out: ConfigSource = {};
    for (const [flag, variable] of Object.entries(flags)) {
      const v = (values as Record<string, string | undefined>)[flag];
      if (v !== undefined) out[variable] = v;
    }
    return out;
  } catch (e) {
    throw new ConfigError(app, [`command line: ${(e as Error).message}; known flags: ${Object.keys(flags).map((f) => `--${f}`).join(', ')}`]);
  }
}

/** Shared zod helpers for config schemas. */
export const configFields = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
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
 * HEADERS_TIMEOUT_MS and REQUEST_TIMEOUT_MS, the request bounds every app shares: spread them
 * into the app's schema and add checkHttpTimeouts to its refinements.
 */
export const httpTimeoutFields = () => ({
  HEADERS_TIMEOUT_MS: configFields.requestBoundMs(DEFAULT_HTTP_TIMEOUTS.headersTimeoutMs),
  REQUEST_TIMEOUT_MS: configFields.requestBoundMs(DEFAULT_HTTP_TIMEOUTS.requestTimeoutMs),
});

/** Their command-line flags, for each app's flag map. */
export const HTTP_TIMEOUT_FLAGS: Record<string, string> = {
  'headers-timeout-ms': 'HEADERS_TIMEOUT_MS',
  'request-timeout-ms': 'REQUEST_TIMEOUT_MS',
};

interface HttpTimeoutVariables {
  HEADERS_TIMEOUT_MS: number;
  REQUEST_TIMEOUT_MS: number;
}

/** Node refuses a headers bound above the whole-request bound: a configuration error naming both. */
export function checkHttpTimeouts(c: HttpTimeoutVariables, ctx: z.RefinementCtx): void {
  // zod runs refinements after a field's own check failed: compare only two valid bounds.
  const valid = (ms: number) => configFields.requestBoundMs(0).safeParse(ms).success;
  if (valid(c.HEADERS_TIMEOUT_MS) && valid(c.REQUEST_TIMEOUT_MS) && c.HEADERS_TIMEOUT_MS > c.REQUEST_TIMEOUT_MS) {
    ctx.addIssue({
      code: 'custom',
      path: ['HEADERS_TIMEOUT_MS'],
      message: `must not exceed REQUEST_TIMEOUT_MS (${c.REQUEST_TIMEOUT_MS}): the headers are part of the request`,
    });
  }
}

/** The validated variables as bootstrap's HttpTimeouts. */
export function httpTimeoutsOf(c: HttpTimeoutVariables): HttpTimeouts {
  return { headersTimeoutMs: c.HEADERS_TIMEOUT_MS, requestTimeoutMs: c.REQUEST_TIMEOUT_MS };
}
