/**
 * The sequence diagram as a check: a condition replays one flow of the seed and then compares
 * the requests that flow caused (the harness's own, and those the roles logged under the check's
 * trace) with contracts/diagrams/<file>. A missing, extra or reordered request fails, naming the
 * diagram step. The observed exchange is returned as Mermaid (the report draws it beside the
 * contract's diagram).
 */
import { readFileSync } from 'node:fs';
import { contractPath, parseSequenceDiagram, type SequenceDiagram } from '#contracts';
import { fail } from '../checks/expect.js';
import { condition, needFamily, need, type ConditionEnv } from '../runner/condition.js';
import { observedMermaid, replayDiagram, type ObservedRequest } from '../runner/diagram-replay.js';
import { OBSERVED_DIAGRAM_ATTACHMENT } from '../runner/reporters/html.js';

/** A contract diagram, parsed (a syntax error blocks the check, naming the line). */
export const diagramOf = needFamily((file: string) =>
  need<SequenceDiagram>(`contracts/diagrams/${file}`, async () => parseSequenceDiagram(readFileSync(contractPath('diagrams', file), 'utf8'), `contracts/diagrams/${file}`)),
);

/** Request logs are written just after the answer: read until two reads agree (at most ~1 s). */
async function settledRequests(env: ConditionEnv, since: number): Promise<{ requests: ObservedRequest[]; observable: Set<string> }> {
  let last = await env.requestsSoFar(since);
  for (let i = 0; i < 10; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const next = await env.requestsSoFar(since);
    if (next.requests.length === last.requests.length) return next;
    last = next;
  }
  return last;
}

/** The attachment name of the observed exchange, as Mermaid (the HTML report puts it beside the contract's). */
const OBSERVED_DIAGRAM = OBSERVED_DIAGRAM_ATTACHMENT;

export interface DiagramReplay {
  /** What the replay is, for the title ("one keystroke with a cold key cache"). */
  flow: string;
  /** Sets up what the replay needs without being part of it (needs, control API calls). */
  prepare?: (env: ConditionEnv) => Promise<unknown>;
  /** The flow itself: only the requests made here are compared with the diagram. */
  run: (env: ConditionEnv, prepared: unknown) => Promise<void>;
}

export const FollowsTheSequenceDiagram = (file: string, replay: DiagramReplay) =>
  condition({
    name: 'EnsureExchangeFollowsDiagram',
    title: `Replayed (${replay.flow}), the requests occur as contracts/diagrams/${file} draws them: in its order, none missing, none extra`,
    needs: { diagram: diagramOf(file) },
    async evaluate({ diagram }, env): Promise<string> {
      const prepared = await replay.prepare?.(env);
      const since = Date.now();
      await replay.run(env, prepared);
      const { requests, observable } = await settledRequests(env, since);
      const verdict = replayDiagram(diagram, requests, observable);
      const mermaid = observedMermaid(diagram, verdict.judged);
      env.attach(OBSERVED_DIAGRAM, mermaid);
      if (!verdict.ok) {
        fail(`the observed exchange departs from contracts/diagrams/${file}: ${verdict.message}`, {
          expected: { diagram: file, next: verdict.expected },
          actual: { observed: verdict.observed, exchange: mermaid },
        });
      }
      return mermaid;
    },
  });
