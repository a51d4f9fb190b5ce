import { readFileSync, readdirSync } from 'node:fs';
import { contractPath } from './files.js';
import { DiagramSyntaxError, parseSequenceDiagram } from './sequence-diagram.js';

describe('parseSequenceDiagram', () => {
  it('numbers every arrow as autonumber does, keeps blocks, and reads the role lines', () => {
    const d = parseSequenceDiagram(
      [
        '%% role IDE=ide',
        '%% role GW=ai-gateway',
        'sequenceDiagram',
        '  autonumber',
        '  participant IDE as Web IDE',
        '  participant GW as AI gateway',
        '  Note over IDE,GW: a note',
        '  IDE->>GW: POST /v2/code/completions',
        '  GW->>GW: verify',
        '  alt cache cold',
        '    GW->>GL: GET keys',
        '  else warm',
        '  end',
        '  GW-->>IDE: 200',
      ].join('\n'),
    );
    expect(d.messages.map((m) => [m.step, m.from, m.to, m.arrow])).toEqual([
      [1, 'IDE', 'GW', 'request'],
      [2, 'GW', 'GW', 'request'],
      [3, 'GW', 'GL', 'request'],
      [4, 'GW', 'IDE', 'reply'],
    ]);
    expect([...d.roles]).toEqual([
      ['IDE', 'ide'],
      ['GW', 'ai-gateway'],
    ]);
    expect(d.participants.get('GL')).toBe('GL');
    const alt = d.body.find((n) => n.kind === 'alt');
    expect(alt).toMatchObject({ kind: 'alt', label: 'cache cold' });
    expect(alt && 'branches' in alt ? alt.branches.map((b) => b.length) : []).toEqual([1, 0]);
  });

  it('refuses what it does not understand, naming the line, so a diagram cannot silently check nothing', () => {
    expect(() => parseSequenceDiagram('flowchart TD\n A-->B')).toThrow(/diagram:1: expected 'sequenceDiagram'/);
    expect(() => parseSequenceDiagram('sequenceDiagram\n  A=>B: what', 'x.mmd')).toThrow(/x\.mmd:2: not understood: 'A=>B: what'/);
    expect(() => parseSequenceDiagram('sequenceDiagram\n  alt x\n  A->>B: y')).toThrow(DiagramSyntaxError);
    expect(() => parseSequenceDiagram('sequenceDiagram\n  end')).toThrow(/'end' without an open block/);
    expect(() => parseSequenceDiagram('sequenceDiagram\n  else')).toThrow(/outside alt/);
  });

  it('parses every contract diagram, each mapping at least two participants to roles', () => {
    const files = readdirSync(contractPath('diagrams')).filter((f) => f.endsWith('.mmd'));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const file of files) {
      const d = parseSequenceDiagram(readFileSync(contractPath('diagrams', file), 'utf8'), file);
      expect(d.roles.size).toBeGreaterThanOrEqual(2);
      for (const id of d.roles.keys()) expect(d.participants.has(id)).toBe(true);
    }
  });
});
