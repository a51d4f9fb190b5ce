import { parseSequenceDiagram } from '#contracts';
import { observedMermaid, replayDiagram, type ObservedRequest } from './diagram-replay.js';

/** The shape of seed 000 option 2: a token, a keystroke, an optional key fetch, the model. */
const diagram = parseSequenceDiagram(`
%% role IDE=ide
%% role GL=gitlab-saas
%% role GW=ai-gateway
%% role M=fake-model
sequenceDiagram
  autonumber
  IDE->>GL: POST tokens
  GL-->>IDE: JWT
  IDE->>GW: POST completions
  GW->>GW: check the key cache
  alt cache cold
    GW->>GL: GET keys
  end
  GW->>M: completion request
  M-->>GW: completion
  GW-->>IDE: completions
`);

let t = 0;
const req = (from: string | undefined, to: string, label = `${from}->${to}`): ObservedRequest => ({ from, to, label, at: ++t });
const ALL = new Set(['gitlab-saas', 'ai-gateway', 'fake-model']);

describe('replayDiagram', () => {
  it('accepts the flow with and without the optional key fetch', () => {
    expect(replayDiagram(diagram, [req('ide', 'gitlab-saas'), req('ide', 'ai-gateway'), req('ai-gateway', 'gitlab-saas'), req('ai-gateway', 'fake-model')], ALL).ok).toBe(true);
    expect(replayDiagram(diagram, [req('ide', 'gitlab-saas'), req('ide', 'ai-gateway'), req('ai-gateway', 'fake-model')], ALL).ok).toBe(true);
  });

  it('fails a missing step, naming it', () => {
    const verdict = replayDiagram(diagram, [req('ide', 'gitlab-saas'), req('ide', 'ai-gateway')], ALL);
    expect(verdict.ok).toBe(false);
    expect(!verdict.ok && verdict.message).toMatch(/the replay ended where the diagram still has .*step 6 \(GW->>M: completion request\) \(a missing request\)/);
  });

  it('fails a request the diagram does not have next (reordered), naming the step it expected', () => {
    const verdict = replayDiagram(diagram, [req('ide', 'ai-gateway'), req('ide', 'gitlab-saas'), req('ai-gateway', 'fake-model')], ALL);
    expect(!verdict.ok && verdict.message).toMatch(/request 1 of the replay, ide -> ai-gateway: .* is not what the diagram has next: step 1 \(IDE->>GL: POST tokens\)/);
  });

  it('fails an extra request after the diagram ended', () => {
    const verdict = replayDiagram(diagram, [req('ide', 'gitlab-saas'), req('ide', 'ai-gateway'), req('ai-gateway', 'fake-model'), req('ide', 'gitlab-saas')], ALL);
    expect(!verdict.ok && verdict.message).toMatch(/request 4 of the replay, .* comes after the diagram has ended \(an extra request\)/);
  });

  it('judges only the edges the diagram draws, and gives an unknown sender the receiver\'s expected one', () => {
    // The gateway also calls another issuer (not drawn): shown, not judged. The model call without trace context has no known sender.
    const verdict = replayDiagram(diagram, [req('ide', 'gitlab-saas'), req('ide', 'ai-gateway'), req('ai-gateway', 'gitlab-sm'), req(undefined, 'fake-model')], ALL);
    expect(verdict.ok).toBe(true);
    expect(verdict.judged.map((r) => r.to)).toEqual(['gitlab-saas', 'ai-gateway', 'fake-model']);
  });

  it('does not judge a step whose receiver the harness cannot observe (an external role without a request log)', () => {
    const noModelLog = new Set(['gitlab-saas', 'ai-gateway']);
    expect(replayDiagram(diagram, [req('ide', 'gitlab-saas'), req('ide', 'ai-gateway')], noModelLog).ok).toBe(true);
  });

  it('repeats a loop one or more times and takes one branch of an alt', () => {
    const loop = parseSequenceDiagram(`
%% role VS=ide
%% role SM=gitlab-sm
%% role GL=gitlab-saas
%% role CS=ai-gateway
sequenceDiagram
  loop Use code suggestions
    alt JWT missing
      VS->>SM: token
      SM->>GL: relay
    else
      VS->>CS: completions
    end
  end
`);
    const flow = [req('ide', 'gitlab-sm'), req('gitlab-sm', 'gitlab-saas'), req('ide', 'ai-gateway'), req('ide', 'ai-gateway')];
    expect(replayDiagram(loop, flow, ALL.add('gitlab-sm')).ok).toBe(true);
    const minted = replayDiagram(loop, [req('ide', 'gitlab-sm'), req('ide', 'ai-gateway')], ALL);
    expect(!minted.ok && minted.message).toMatch(/is not what the diagram has next: step 2 \(SM->>GL: relay\)/);
  });

  it('draws the observed requests as Mermaid with the contract\'s participant ids', () => {
    const text = observedMermaid(diagram, [req('ide', 'ai-gateway', 'POST /v2/code/completions -> 200'), req(undefined, 'fake-model', 'POST /v1/completions -> 200')]);
    expect(text).toContain('IDE->>GW: POST /v2/code/completions -> 200');
    expect(text).toContain('unknown->>M: POST /v1/completions -> 200');
  });
});
