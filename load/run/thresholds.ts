/**
 * The syntax of a threshold line (`<subject>:<metric><=|>=<number>`), checked before anything
 * starts so a typo is a usage error (exit 2) and not a run that fails after minutes. The lines
 * are evaluated by the Locust side (load/locust/common/thresholds.py, which documents them).
 */
const THRESHOLD = /^(?<subject>[A-Za-z0-9_.:-]+):(?<metric>[a-z0-9_]+)\s*(?:<=|>=)\s*-?[0-9]+(?:\.[0-9]+)?$/;
export const TAG_METRICS = ['p50', 'p95', 'p99', 'max', 'error_rate', 'failures', 'requests', 'rps'] as const;

/** Throws an Error quoting `line` and the syntax when it is not a threshold; the trimmed line otherwise. */
export function checkThreshold(line: string): string {
  const trimmed = line.trim();
  const match = THRESHOLD.exec(trimmed);
  if (!match) {
    throw new Error(`threshold '${line}' is not <subject>:<metric><=|>=<number>, e.g. completion:p95<=10 or figure:knee_users>=1`);
  }
  const { subject, metric } = match.groups as { subject: string; metric: string };
  if (subject !== 'figure' && !(TAG_METRICS as readonly string[]).includes(metric)) {
    throw new Error(`threshold '${line}': unknown metric '${metric}' of a tag (one of ${TAG_METRICS.join(', ')})`);
  }
  if (trimmed.includes(';')) throw new Error(`threshold '${line}' contains ';'`);
  return trimmed;
}
