import { writeFileSync } from 'node:fs';
import type { RunResult } from '../types.js';

/** results.json: the RunResult itself, the source of truth every other view is made from. */
export function renderJson(result: RunResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}

export function writeJsonReport(result: RunResult, file: string): void {
  writeFileSync(file, renderJson(result));
}
