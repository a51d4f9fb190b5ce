import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RunResult } from '../types.js';
import type { ReportPaths } from './console.js';
import { replayedDiagram, writeHtmlReport } from './html.js';
import { writeJsonReport } from './json.js';
import { writeJunitReport } from './junit.js';

export * from './console.js';
export * from './format.js';
export * from './html.js';
export * from './json.js';
export * from './junit.js';
export * from './sequence-diagram.js';

/** Writes results.json (the source of truth), junit.xml and report.html into `dir`. */
export function writeReports(result: RunResult, dir: string): ReportPaths {
  const root = resolve(dir);
  mkdirSync(root, { recursive: true });
  const paths: ReportPaths = { json: join(root, 'results.json'), junit: join(root, 'junit.xml'), html: join(root, 'report.html') };
  writeJsonReport(result, paths.json);
  writeJunitReport(result, paths.junit);
  writeHtmlReport(result, paths.html);
  writeDiagrams(result, join(root, 'diagrams'));
  return paths;
}

/** diagrams/<scenario>.contract.mmd and, where a replay ran, <scenario>.observed.mmd beside it. */
function writeDiagrams(result: RunResult, dir: string): void {
  for (const s of result.scenarios) {
    if (s.contractDiagram === undefined) continue;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${s.id}.contract.mmd`), s.contractDiagram);
    const replay = replayedDiagram(s);
    if (replay) writeFileSync(join(dir, `${s.id}.observed.mmd`), replay.mermaid);
  }
}
