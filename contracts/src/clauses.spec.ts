import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { allClauses, clause } from './clauses.js';
import { projectRoot } from './files.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.spec.ts') ? [path] : [];
  });
}

describe('clause table', () => {
  it('loads with a source and text for every clause', () => {
    expect(allClauses().size).toBeGreaterThan(20);
    for (const c of allClauses().values()) {
      expect(c.source.length).toBeGreaterThan(3);
      expect(c.text.length).toBeGreaterThan(10);
    }
  });

  it('throws on an unknown id, so a typo in a check cannot pass silently', () => {
    expect(() => clause('seed-999.nothing')).toThrow(/unknown clause id 'seed-999.nothing'/);
  });

  it('knows every clause id the scenario suites cite', () => {
    const cited = new Set<string>();
    // Suites cite clauses at their call sites (s.must(id, Condition, ['rfc-7519.4.1.4', ...])):
    // every string literal shaped like a clause id counts.
    const CLAUSE_ID = /'((?:seed-\d{3}|rfc-\d+|oidc-[a-z-]+|gitlab|aigw|checklist)\.[a-z0-9.-]+)'/g;
    for (const file of sourceFiles(join(projectRoot(), 'scenarios', 'suites'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(CLAUSE_ID)) cited.add(m[1]!);
    }
    expect(cited.size).toBeGreaterThan(10);
    const unknown = [...cited].filter((id) => !allClauses().has(id));
    expect(unknown).toEqual([]);
  });
});
