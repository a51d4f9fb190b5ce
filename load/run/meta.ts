/** The machine and the build a load run measured, for its summary (LOAD_META). */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { arch, cpus, hostname, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '#contracts';

export interface RunMeta {
  machine: { host: string; cores: number; cpuModel: string; memoryGiB: number; os: string };
  build: { package: string; version: string; commit: string | null; dirty: boolean | null; node: string };
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: projectRoot(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export function runMeta(): RunMeta {
  const pkg = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { name: string; version: string };
  const status = git(['status', '--porcelain', '--untracked-files=no']);
  return {
    machine: { host: hostname(), cores: cpus().length, cpuModel: cpus()[0]?.model.trim() ?? 'unknown', memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10, os: `${type()} ${release()} ${arch()}` },
    build: { package: pkg.name, version: pkg.version, commit: git(['rev-parse', 'HEAD']), dirty: status === null ? null : status !== '', node: process.version },
  };
}
