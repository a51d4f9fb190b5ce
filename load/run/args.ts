/**
 * The command line of `npm run load -- <scenario> [options]` (see usage()). Parsing only:
 * every mistake is an Error with the message to print (the CLI exits 2).
 */
import { parseArgs } from 'node:util';
import { PLANS, SCENARIOS, type ScenarioName } from './scenarios.js';
import { checkThreshold } from './thresholds.js';

export interface LoadArgs {
  scenario: ScenarioName;
  profile?: string;
  users: number;
  durationSeconds: number;
  /** The folder summary.json and junit.xml go to (default reports/load/<scenario>). */
  reports?: string;
  smoke: boolean;
  /** Extra thresholds (replacing a default on the same subject and metric). */
  thresholds: string[];
}

export function usage(): string {
  return [
    'usage: npm run load -- <scenario> [--profile FILE] [--duration S] [--users N] [--reports DIR] [--smoke] [--threshold LINE]...',
    `scenarios: ${SCENARIOS.join(', ')}`,
    '  --profile FILE     target profile (roles with a url are used as they are; the others are started embedded); loopback only',
    '  --duration S       Locust --run-time in seconds (default per scenario)',
    '  --users N          Locust users, one IDE each (default per scenario; ramp sets its own)',
    '  --reports DIR      where summary.json and junit.xml go (default reports/load/<scenario>)',
    '  --smoke            a few users for a few seconds, latency limits loosened (what CI runs)',
    "  --threshold LINE   e.g. 'completion:p99<=5' (repeatable; replaces the default on the same tag and metric)",
  ].join('\n');
}

function positive(name: string, raw: string, integer: boolean): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new Error(`--${name} must be a positive ${integer ? 'integer' : 'number'} (got '${raw}')`);
  }
  return value;
}

export function parseLoadArgs(argv: readonly string[]): LoadArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        profile: { type: 'string' },
        duration: { type: 'string' },
        users: { type: 'string' },
        reports: { type: 'string' },
        smoke: { type: 'boolean', default: false },
        threshold: { type: 'string', multiple: true },
      },
    });
  } catch (e) {
    throw new Error((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) {
    throw new Error(positionals.length === 0 ? `name one scenario (${SCENARIOS.join(', ')})` : `name one scenario, not ${positionals.length} (${positionals.join(' ')})`);
  }
  const scenario = positionals[0]!;
  if (!(SCENARIOS as readonly string[]).includes(scenario)) throw new Error(`unknown scenario '${scenario}' (one of ${SCENARIOS.join(', ')})`);
  const plan = PLANS[scenario as ScenarioName];
  const smoke = values.smoke ?? false;
  const out: LoadArgs = {
    scenario: scenario as ScenarioName,
    smoke,
    users: values.users !== undefined ? positive('users', values.users, true) : smoke ? plan.smoke.users : plan.users,
    durationSeconds: values.duration !== undefined ? positive('duration', values.duration, false) : smoke ? plan.smoke.durationSeconds : plan.durationSeconds,
    thresholds: (values.threshold ?? []).map(checkThreshold),
  };
  if (values.profile !== undefined) out.profile = values.profile;
  if (values.reports !== undefined) out.reports = values.reports;
  return out;
}
