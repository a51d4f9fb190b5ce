import { readFileSync } from 'node:fs';
import { contractPath, parseSequenceDiagram } from '#contracts';
import { replayDiagram, type ObservedRequest } from '../runner/diagram-replay.js';
import { SCOPE_MATRIX, cellCheckId, cellTitle } from './graphql-matrix.js';
import { deepQuery } from './graphql-requests.js';

describe('the scope matrix of seed 004', () => {
  const operations = ['ai-action', 'ai-completion-response', 'ai-message-fields', 'update-issue', 'current-user', 'project-issues'];
  const scopes = ['api', 'read_api', 'ai_features', 'read_user'];

  it('has exactly one cell per scope and operation, each with a source', () => {
    const keys = SCOPE_MATRIX.map((c) => `${c.operation}/${c.scope}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.sort()).toEqual(operations.flatMap((o) => scopes.map((s) => `${o}/${s}`)).sort());
    for (const cell of SCOPE_MATRIX) expect(cell.source.length).toBeGreaterThan(20);
  });

  it('gives stable, unique kebab-case check ids that say the verdict', () => {
    const ids = SCOPE_MATRIX.map(cellCheckId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^(allows|denies)-[a-z-]+-with-(api|read-api|ai-features|read-user)$/);
    expect(ids).toContain('allows-ai-action-with-ai-features');
    expect(ids).toContain('denies-update-issue-with-ai-features');
    expect(cellTitle(SCOPE_MATRIX.find((c) => cellCheckId(c) === 'denies-update-issue-with-ai-features')!)).toMatch(/ai_features token, the updateIssue mutation is refused/);
  });

  it('follows GitLab: api is served everywhere, read_user nowhere, ai_features only on what Duo Chat uses, read_api never mutates', () => {
    const verdict = (operation: string, scope: string) => SCOPE_MATRIX.find((c) => c.operation === operation && c.scope === scope)!.verdict;
    for (const o of operations) expect(verdict(o, 'api')).toBe('granted');
    for (const o of operations) expect(['door-denied', 'rejected']).toContain(verdict(o, 'read_user'));
    expect(operations.filter((o) => verdict(o, 'ai_features') === 'granted')).toEqual(['ai-action', 'ai-completion-response', 'ai-message-fields']);
    expect(verdict('ai-action', 'read_api')).toBe('denied-with-error');
    expect(verdict('update-issue', 'read_api')).toBe('denied-with-error');
  });
});

describe('the too-deep query', () => {
  it('nests __Type.fields.type as many levels as asked, balanced', () => {
    const q = deepQuery(3);
    expect(q).toBe('{ __type(name: "Query") { fields { type { fields { type { fields { type { name } } } } } } } }');
    expect(q.split('{').length).toBe(q.split('}').length);
  });
});

describe('contracts/diagrams/scoped-graphql.mmd as the replay judges it', () => {
  const diagram = parseSequenceDiagram(readFileSync(contractPath('diagrams', 'scoped-graphql.mmd'), 'utf8'), 'scoped-graphql.mmd');
  const ALL = new Set(['gitlab-saas', 'ai-gateway', 'fake-model']);
  let t = 0;
  const req = (from: string | undefined, to: string): ObservedRequest => ({ from, to, label: `${from}->${to}`, at: ++t });
  const chat = () => [req('ide', 'gitlab-saas'), req('gitlab-saas', 'ai-gateway'), req('ai-gateway', 'fake-model')];
  const contrast = () => [req('ide', 'gitlab-saas'), req('ide', 'gitlab-saas')];

  it('accepts the seed flow: aiAction, GitLab -> gateway -> model, then the two updateIssue calls (the WebSocket is not HTTP)', () => {
    expect(replayDiagram(diagram, [...chat(), ...contrast()], ALL).ok).toBe(true);
    // A GitLab whose request log shows the upgrade (sender unknown: no trace on it) passes too.
    expect(replayDiagram(diagram, [req(undefined, 'gitlab-saas'), ...chat(), ...contrast()], ALL).ok).toBe(true);
  });

  it("fails a GitLab that answers the chat without asking the gateway, naming the gateway step", () => {
    const verdict = replayDiagram(diagram, [req('ide', 'gitlab-saas'), ...contrast()], ALL);
    expect(verdict.ok).toBe(false);
    expect(!verdict.ok && verdict.expected.join(' ')).toMatch(/GL->>GW: POST \/v1\/chat\/agent/);
  });
});
