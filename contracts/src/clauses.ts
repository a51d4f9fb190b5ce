import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { contractPath } from './files.js';

export type ClauseKind = 'seed' | 'rfc' | 'behaviour' | 'checklist';

export interface Clause {
  id: string;
  kind: ClauseKind;
  /** Where the clause comes from: seed and step, RFC section, or the production behaviour. */
  source: string;
  text: string;
}

const KINDS: readonly ClauseKind[] = ['seed', 'rfc', 'behaviour', 'checklist'];

let table: Map<string, Clause> | undefined;

function load(): Map<string, Clause> {
  const raw = parse(readFileSync(contractPath('clauses.yaml'), 'utf8')) as Record<string, Partial<Clause>>;
  const map = new Map<string, Clause>();
  for (const [id, entry] of Object.entries(raw)) {
    if (!entry || typeof entry.source !== 'string' || typeof entry.text !== 'string' || !KINDS.includes(entry.kind as ClauseKind)) {
      throw new Error(`contracts/clauses.yaml: clause '${id}' needs kind (${KINDS.join('|')}), source and text`);
    }
    map.set(id, { id, kind: entry.kind as ClauseKind, source: entry.source, text: entry.text });
  }
  return map;
}

/** Every clause of contracts/clauses.yaml. */
export function allClauses(): ReadonlyMap<string, Clause> {
  table ??= load();
  return table;
}

/** Looks a clause up; an unknown id is a programming error in a check and throws. */
export function clause(id: string): Clause {
  const found = allClauses().get(id);
  if (!found) throw new Error(`unknown clause id '${id}' (not in contracts/clauses.yaml)`);
  return found;
}
