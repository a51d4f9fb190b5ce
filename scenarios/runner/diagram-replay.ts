/**
 * The sequence diagram as a check: do the requests observed during a replay occur as the
 * contract's diagram says, in order? Only what HTTP can show is judged: requests (not replies,
 * not self-messages) between participants the diagram maps to roles (`%% role ID=role`), and
 * among the observed requests only those on an edge (sender -> receiver) the diagram has; the
 * rest (a gateway's JWKS fetch in a diagram that does not draw it) is shown, not judged.
 *
 * Blocks: `alt` one branch (an `alt` without `else` may be skipped), `opt` zero or one time, `loop` one or more times, `par` its branches
 * in the order written. A missing, extra or reordered request fails, naming the diagram step
 * expected and the request observed instead.
 */
import { describeMessage, type DiagramMessage, type DiagramNode, type SequenceDiagram } from '#contracts';

/** A request seen during the replay: by the harness (its own requests) or in a role's request log. */
export interface ObservedRequest {
  /** The sender's role ('ide' for the harness playing the IDE); undefined when it cannot be told. */
  from: string | undefined;
  to: string;
  /** `METHOD path -> status`. */
  label: string;
  /** Start time, ms since the epoch (the order of the replay). */
  at: number;
  exchangeId?: string;
}

type Grammar =
  | { t: 'msg'; m: DiagramMessage; from: string; to: string }
  | { t: 'seq'; items: Grammar[] }
  | { t: 'alt'; branches: Grammar[] }
  | { t: 'opt'; item: Grammar }
  | { t: 'loop'; item: Grammar };

export type ReplayVerdict =
  | { ok: true; judged: ObservedRequest[] }
  | { ok: false; judged: ObservedRequest[]; message: string; expected: string[]; observed: string | null };

/**
 * The judged part of a diagram: requests between role-mapped participants whose receiver can be
 * observed (`observable`: roles whose request log the harness reads) or whose sender is the IDE
 * the harness plays (it records its own requests).
 */
function grammarOf(nodes: readonly DiagramNode[], roles: ReadonlyMap<string, string>, observable: ReadonlySet<string>): Grammar {
  const items: Grammar[] = [];
  for (const node of nodes) {
    if (node.kind === 'message') {
      const from = roles.get(node.from);
      const to = roles.get(node.to);
      if (node.arrow === 'request' && from && to && node.from !== node.to && (from === 'ide' || observable.has(to))) items.push({ t: 'msg', m: node, from, to });
      continue;
    }
    const branches = node.branches.map((b) => grammarOf(b, roles, observable));
    // An alt without else is Mermaid's "if": the branch or nothing.
    if (node.kind === 'alt') items.push(branches.length === 1 ? { t: 'opt', item: branches[0]! } : { t: 'alt', branches });
    else if (node.kind === 'opt') items.push({ t: 'opt', item: branches[0]! });
    else if (node.kind === 'loop') items.push({ t: 'loop', item: branches[0]! });
    else items.push(...branches);
  }
  return { t: 'seq', items };
}

function messagesOf(g: Grammar): Array<Extract<Grammar, { t: 'msg' }>> {
  switch (g.t) {
    case 'msg':
      return [g];
    case 'seq':
      return g.items.flatMap(messagesOf);
    case 'alt':
      return g.branches.flatMap(messagesOf);
    default:
      return messagesOf(g.item);
  }
}

/** Replays `observed` (any order; sorted by start time here) against the diagram. */
export function replayDiagram(diagram: SequenceDiagram, observed: readonly ObservedRequest[], observable: ReadonlySet<string>): ReplayVerdict {
  const grammar = grammarOf(diagram.body, diagram.roles, observable);
  const msgs = messagesOf(grammar);
  const edges = new Set(msgs.map((m) => `${m.from}>${m.to}`));
  const receivers = new Set(msgs.map((m) => m.to));
  const judged = [...observed]
    .sort((a, b) => a.at - b.at)
    .filter((o) => (o.from === undefined ? receivers.has(o.to) : edges.has(`${o.from}>${o.to}`)));
  const n = judged.length;
  const memo = new Map<Grammar, Map<number, number[]>>();
  const attempts = new Map<number, Set<DiagramMessage>>();
  let furthest = 0;

  const matches = (o: ObservedRequest, g: Extract<Grammar, { t: 'msg' }>) => o.to === g.to && (o.from === undefined || o.from === g.from);
  const union = (lists: number[][]) => [...new Set(lists.flat())].sort((a, b) => a - b);

  function ends(g: Grammar, pos: number): number[] {
    let byPos = memo.get(g);
    if (!byPos) memo.set(g, (byPos = new Map()));
    const known = byPos.get(pos);
    if (known) return known;
    let out: number[];
    switch (g.t) {
      case 'msg':
        if (pos < n && matches(judged[pos]!, g)) {
          out = [pos + 1];
          furthest = Math.max(furthest, pos + 1);
        } else {
          out = [];
          (attempts.get(pos) ?? attempts.set(pos, new Set()).get(pos)!).add(g.m);
        }
        break;
      case 'seq': {
        let at = [pos];
        for (const item of g.items) at = union(at.map((p) => ends(item, p)));
        out = at;
        break;
      }
      case 'alt':
        out = union(g.branches.map((b) => ends(b, pos)));
        break;
      case 'opt':
        out = union([[pos], ends(g.item, pos)]);
        break;
      case 'loop': {
        // One or more iterations; an iteration must consume at least one request to go on.
        const reached = new Set<number>();
        let frontier = ends(g.item, pos);
        while (frontier.length) {
          const next: number[][] = [];
          for (const p of frontier) {
            if (reached.has(p)) continue;
            reached.add(p);
            if (p > pos) next.push(ends(g.item, p));
          }
          frontier = union(next).filter((p) => !reached.has(p));
        }
        out = [...reached].sort((a, b) => a - b);
        break;
      }
    }
    byPos.set(pos, out);
    return out;
  }

  if (ends(grammar, 0).includes(n)) return { ok: true, judged };
  const at = furthest;
  const expected = [...(attempts.get(at) ?? [])].sort((a, b) => a.step - b.step).map(describeMessage);
  const seen = judged[at];
  if (seen) {
    const message = expected.length
      ? `request ${at + 1} of the replay, ${seen.from ?? '?'} -> ${seen.to}: ${seen.label}, is not what the diagram has next: ${expected.join(' or ')}`
      : `request ${at + 1} of the replay, ${seen.from ?? '?'} -> ${seen.to}: ${seen.label}, comes after the diagram has ended (an extra request)`;
    return { ok: false, judged, message, expected, observed: `${seen.from ?? '?'} -> ${seen.to}: ${seen.label}` };
  }
  return { ok: false, judged, message: `the replay ended where the diagram still has ${expected.join(' or ') || 'more'} (a missing request)`, expected, observed: null };
}

/** The observed requests as a Mermaid sequence diagram, with the contract's participant ids where it names the role. */
export function observedMermaid(diagram: SequenceDiagram, observed: readonly ObservedRequest[]): string {
  const idOf = new Map([...diagram.roles].map(([id, role]) => [role, id]));
  const id = (role: string | undefined) => (role === undefined ? 'unknown' : (idOf.get(role) ?? role.replace(/[^\w]/g, '_')));
  const lines = ['sequenceDiagram', '    autonumber'];
  const named = new Set<string>();
  const sorted = [...observed].sort((a, b) => a.at - b.at);
  for (const o of sorted) {
    for (const role of [o.from, o.to]) {
      const p = id(role);
      if (named.has(p)) continue;
      named.add(p);
      lines.push(`    participant ${p} as ${diagram.participants.get(p) ?? role ?? 'unknown sender'}`);
    }
  }
  for (const o of sorted) lines.push(`    ${id(o.from)}->>${id(o.to)}: ${o.label.replace(/[;#\n]/g, ' ')}`);
  return `${lines.join('\n')}\n`;
}
