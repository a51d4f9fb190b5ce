import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { USER_AGENT, projectRoot } from '#contracts';

export interface ToolInfo {
  name: string;
  version: string;
}

let cached: ToolInfo | undefined;

/** Name and version of the harness, from the project's package.json (read once). */
export function toolInfo(): ToolInfo {
  if (!cached) {
    const pkg = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { name?: string; version?: string };
    cached = { name: pkg.name ?? USER_AGENT.HARNESS, version: pkg.version ?? '0.0.0' };
  }
  return cached;
}

/** The User-Agent of every request the harness itself sends: `ai-auth-harness/<version>`. */
export function harnessUserAgent(): string {
  return `${USER_AGENT.HARNESS}/${toolInfo().version}`;
}
