import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Locates the project's root (the folder holding contracts/clauses.yaml). Works from the
 * TypeScript sources (contracts/src) and from the compiled output (dist/contracts/src), so
 * apps, checks and tests all read the same contract files, never copies.
 */
let cachedRoot: string | undefined;

export function projectRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'contracts', 'clauses.yaml'))) {
      cachedRoot = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(
        `cannot find the project root (a folder with contracts/clauses.yaml) above ${fileURLToPath(import.meta.url)}`,
      );
    }
    dir = parent;
  }
}

/** Absolute path of a file below contracts/. */
export function contractPath(...segments: string[]): string {
  return resolve(projectRoot(), 'contracts', ...segments);
}
