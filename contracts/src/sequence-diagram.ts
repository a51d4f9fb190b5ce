/**
 * The subset of Mermaid's sequenceDiagram syntax our contract diagrams use
 * (https://mermaid.js.org/syntax/sequenceDiagram.html), parsed into a tree the runner can
 * replay against observed traffic:
 * - `participant ID [as Label]` / `actor ...`; a `%% role ID=<role>` comment maps a participant
 *   to a role of the system (`ide` is the IDE the harness plays);
 * - messages `A->>B: text` (and `->`, `-)`, `-x`): requests; `A-->>B` (and `-->`, `--)`, `--x`):
 *   replies. Every arrow gets the step number `autonumber` would give it, so diagram steps and
 *   the clause ids `seed-NNN.step-N` agree;
 * - blocks `alt`/`else`, `opt`, `loop`, `par`/`and`, `critical`/`option`, `break`, `rect`,
 *   closed by `end`; `Note`, `activate`, `autonumber` and comments are read past.
 * Anything else is a syntax error naming the line, so a diagram cannot silently check nothing.
 */

export type Arrow = 'request' | 'reply';

export interface DiagramMessage {
  kind: 'message';
  /** autonumber of the arrow (1-based, counting every arrow). */
  step: number;
  from: string;
  to: string;
  arrow: Arrow;
  text: string;
  /** 1-based line in the file. */
  line: number;
}

export interface DiagramBlock {
  kind: 'seq' | 'alt' | 'opt' | 'loop' | 'par';
  /** Condition text of the block (and of each `else` branch for alt). */
  label: string;
  /** alt/par: one child sequence per branch; other blocks: one. */
  branches: DiagramNode[][];
}

export type DiagramNode = DiagramMessage | DiagramBlock;

export interface SequenceDiagram {
  /** Participant id -> label. */
  participants: Map<string, string>;
  /** Participant id -> role, from `%% role ID=role` comments. */
  roles: Map<string, string>;
  body: DiagramNode[];
  /** Every message in file order. */
  messages: DiagramMessage[];
}

export class DiagramSyntaxError extends Error {}

const ARROW = /^([A-Za-z_][\w]*)\s*(-->>|->>|-->|->|--\)|-\)|--x|-x)\s*([A-Za-z_][\w]*)\s*:\s*(.*)$/;
const PARTICIPANT = /^(?:participant|actor)\s+([A-Za-z_][\w]*)(?:\s+as\s+(.+))?$/;
const ROLE = /^%%\s*role\s+([A-Za-z_][\w]*)\s*=\s*([a-z][a-z0-9-]*)\s*$/;
const OPENERS = /^(alt|opt|loop|par|critical|break|rect)\b\s*(.*)$/;
const BRANCH = /^(else|and|option)\b\s*(.*)$/;
const IGNORED = /^(?:Note\b|note\b|activate\b|deactivate\b|autonumber\b|title\b|box\b|create\b|destroy\b|links?\b)/;

export function parseSequenceDiagram(source: string, file = 'diagram'): SequenceDiagram {
  const participants = new Map<string, string>();
  const roles = new Map<string, string>();
  const messages: DiagramMessage[] = [];
  const root: DiagramBlock = { kind: 'seq', label: '', branches: [[]] };
  const stack: DiagramBlock[] = [root];
  let started = false;
  let step = 0;
  const current = () => {
    const block = stack[stack.length - 1]!;
    return block.branches[block.branches.length - 1]!;
  };
  source.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    const where = `${file}:${i + 1}`;
    const role = ROLE.exec(line);
    if (role) {
      roles.set(role[1]!, role[2]!);
      return;
    }
    if (!line || line.startsWith('%%')) return;
    if (!started) {
      if (line !== 'sequenceDiagram') throw new DiagramSyntaxError(`${where}: expected 'sequenceDiagram', got '${line}'`);
      started = true;
      return;
    }
    const participant = PARTICIPANT.exec(line);
    if (participant) {
      participants.set(participant[1]!, participant[2]?.trim() ?? participant[1]!);
      return;
    }
    const arrow = ARROW.exec(line);
    if (arrow) {
      const [, from, kind, to, text] = arrow as unknown as [string, string, string, string, string];
      for (const p of [from, to]) if (!participants.has(p)) participants.set(p, p);
      const message: DiagramMessage = { kind: 'message', step: ++step, from, to, arrow: kind.startsWith('--') ? 'reply' : 'request', text: text.trim(), line: i + 1 };
      messages.push(message);
      current().push(message);
      return;
    }
    const opener = OPENERS.exec(line);
    if (opener) {
      const keyword = opener[1]!;
      const kind: DiagramBlock['kind'] = keyword === 'alt' || keyword === 'critical' ? 'alt' : keyword === 'opt' || keyword === 'break' ? 'opt' : keyword === 'loop' ? 'loop' : keyword === 'par' ? 'par' : 'seq';
      const block: DiagramBlock = { kind, label: opener[2]!.trim(), branches: [[]] };
      current().push(block);
      stack.push(block);
      return;
    }
    const branch = BRANCH.exec(line);
    if (branch) {
      const block = stack[stack.length - 1]!;
      if (stack.length === 1 || (block.kind !== 'alt' && block.kind !== 'par')) throw new DiagramSyntaxError(`${where}: '${branch[1]}' outside alt/par/critical`);
      // A `critical` block's `option` branches are alternatives to its main path, like alt's else.
      block.branches.push([]);
      return;
    }
    if (line === 'end') {
      if (stack.length === 1) throw new DiagramSyntaxError(`${where}: 'end' without an open block`);
      stack.pop();
      return;
    }
    if (IGNORED.test(line)) return;
    throw new DiagramSyntaxError(`${where}: not understood: '${line}'`);
  });
  if (!started) throw new DiagramSyntaxError(`${file}: no 'sequenceDiagram'`);
  if (stack.length !== 1) throw new DiagramSyntaxError(`${file}: ${stack.length - 1} block(s) not closed with 'end'`);
  return { participants, roles, body: root.branches[0]!, messages };
}

/** `A->>B: text` as written, with its step. */
export function describeMessage(m: DiagramMessage): string {
  return `step ${m.step} (${m.from}${m.arrow === 'request' ? '->>' : '-->>'}${m.to}: ${m.text})`;
}
