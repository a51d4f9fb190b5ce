/**
 * `node dist/load/bench/profile-top.js <file.cpuprofile> [--top n]`: the top frames of a V8 CPU
 * profile (as `node --cpu-prof` writes it, e.g. `npm run bench -- --cpu-prof <dir>`), by self
 * time and by total (inclusive) time, in per cent of the busy samples: samples of `(idle)` (the
 * process waiting, e.g. while the benchmark measures a reference server) are left out. Frames
 * are grouped by function name and file (line numbers dropped), so one function is one row.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: CpuProfileNode[];
  samples?: number[];
}

export interface FrameShare {
  frame: string;
  selfPercent: number;
  totalPercent: number;
}

/** Self and inclusive shares of the busy samples of each function (name + file) in `profile`, largest self first. */
export function topFrames(profile: CpuProfile, root = process.cwd()): FrameShare[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n: CpuProfileNode): string => {
    const { functionName, url } = n.callFrame;
    const file = url.startsWith('file://') ? relative(root, new URL(url).pathname) : url || '(native)';
    return `${functionName || '(anonymous)'} ${file}`;
  };
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let samples = 0;
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    if (hits === 0 || n.callFrame.functionName === '(idle)') continue;
    samples += hits;
    self.set(label(n), (self.get(label(n)) ?? 0) + hits);
    // Each function counts once per sample however often it recurs on the stack.
    const seen = new Set<string>();
    for (let id: number | undefined = n.id; id !== undefined; id = parent.get(id)) {
      const l = label(byId.get(id)!);
      if (!seen.has(l)) total.set(l, (total.get(l) ?? 0) + hits);
      seen.add(l);
    }
  }
  const pct = (v: number) => (samples === 0 ? 0 : (100 * v) / samples);
  return [...total.keys()]
    .map((frame) => ({ frame, selfPercent: pct(self.get(frame) ?? 0), totalPercent: pct(total.get(frame)!) }))
    .sort((a, b) => b.selfPercent - a.selfPercent);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // `| head` closes the pipe early: not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => process.exit(e.code === 'EPIPE' ? 0 : 1));
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '20' } } });
  if (positionals.length !== 1) {
    process.stderr.write('usage: profile-top <file.cpuprofile> [--top n]\n');
    process.exit(2);
  }
  const n = Number(values.top);
  const frames = topFrames(JSON.parse(readFileSync(positionals[0]!, 'utf8')) as CpuProfile);
  const row = (f: FrameShare) => `${f.selfPercent.toFixed(1).padStart(6)} ${f.totalPercent.toFixed(1).padStart(6)}  ${f.frame}`;
  process.stdout.write(`self %  total %  function file (by self time)\n${frames.slice(0, n).map(row).join('\n')}\n`);
  const byTotal = [...frames].sort((a, b) => b.totalPercent - a.totalPercent).filter((f) => !f.frame.startsWith('(')).slice(0, n);
  process.stdout.write(`\nself %  total %  function file (by total time)\n${byTotal.map(row).join('\n')}\n`);
}
