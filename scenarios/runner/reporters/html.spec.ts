import { checkResult, exchange, runResult, scenarioResult } from '../test/helpers.js';
import { renderHtml } from './html.js';

const HOSTILE = '<script>alert("pwned")</script><img src=x onerror=alert(1)>';

describe('HTML reporter', () => {
  const result = runResult([
    scenarioResult({
      id: 'custom-endpoint-jwt',
      title: `Title with ${HOSTILE}`,
      contractDiagram: 'sequenceDiagram\n  IDE->>GL: POST /tokens <b>',
      notes: [{ level: 'WARNING', message: `note ${HOSTILE}` }],
      checks: [
        checkResult({
          id: 'rejects-expired-token',
          status: 'FAILED',
          failure: { message: `expected 401 from ${HOSTILE}`, expected: { status: 401 }, actual: { status: 200, body: HOSTILE }, exchangeId: 'x0001' },
          exchangeIds: ['x0001'],
        }),
        checkResult({ id: 'serves-jwks', status: 'PASSED', exchangeIds: ['x0002'] }),
        checkResult({ id: 'follows-the-sequence-diagram', status: 'PASSED', attachments: { 'observed-diagram': 'sequenceDiagram\n  IDE->>GL: POST /tokens -> 201 <i>' } }),
        checkResult({ id: 'skipped-one', status: 'SKIPPED', skipReason: `needs ${HOSTILE}` }),
      ],
      exchanges: [
        exchange({
          id: 'x0001',
          label: HOSTILE,
          request: { headers: { authorization: 'Bearer eyJh.eyJ.[REDACTED]' }, body: HOSTILE },
          response: { status: 200, headers: { 'x-evil': HOSTILE }, body: HOSTILE },
        }),
        exchange({ id: 'x0002', from: 'harness', to: 'gitlab-saas', method: 'GET', url: 'http://127.0.0.1:3001/oauth/discovery/keys', startedAt: '2025-01-01T00:00:01.000Z' }),
      ],
    }),
  ]);
  const html = renderHtml(result);

  it('escapes hostile strings from response bodies, headers, labels, titles and messages', () => {
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;');
    expect(html).toContain('IDE-&gt;&gt;GL: POST /tokens &lt;b&gt;');
  });

  it('is self-contained: no scripts, no external resources, and a CSP forbidding both', () => {
    expect(html).not.toMatch(/<script|<link|src=["']?http|@import|url\(http/i);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
  });

  it('shows each check with status, severity, id, title, clauses and failure detail (expected, actual, where)', () => {
    expect(html).toContain('<tr class="row-FAILED" id="check-custom-endpoint-jwt-rejects-expired-token"><td><span class="badge FAILED">FAILED</span></td><td>MUST</td><td><code>rejects-expired-token</code></td>');
    expect(html).toContain('<code>seed-000.o2.step-4</code>');
    expect(html).toContain('Web IDE FE calls Model Gateway API.');
    expect(html).toMatch(/<span class="label">expected<\/span><pre>\{\n {2}&quot;status&quot;: 401\n\}<\/pre>/);
    expect(html).toContain('<span class="label">where:</span> <a href="#ex-x0001">POST http://127.0.0.1:5052/v2/code/completions -&gt; 200</a>');
    expect(html).toContain('id="ex-x0001"');
  });

  it('draws the observed exchange as an inline SVG with the failed check exchange highlighted', () => {
    expect(html).toContain('<svg xmlns="http://www.w3.org/2000/svg" class="sequence"');
    expect(html).toMatch(/class="arrow request scenario failed" data-exchange="x0001"/);
    expect(html).toMatch(/class="arrow request scenario" data-exchange="x0002"/);
  });

  it('shows the contract diagram beside the exchange a diagram check replayed, both escaped', () => {
    expect(html).toMatch(/<div class="side-by-side"><div><div class="label">contract<\/div><pre>sequenceDiagram\n  IDE-&gt;&gt;GL: POST \/tokens &lt;b&gt;<\/pre>/);
    expect(html).toContain('(check <a href="#check-custom-endpoint-jwt-follows-the-sequence-diagram">follows-the-sequence-diagram</a>)');
    expect(html).toContain('IDE-&gt;&gt;GL: POST /tokens -&gt; 201 &lt;i&gt;');
  });

  it('states the verdict and the counts', () => {
    expect(html).toContain('<title>ai-auth-harness report: FAIL</title>');
    expect(html).toContain('<td>4</td><td>2</td><td>1</td><td>0</td><td>1</td>');
  });
});
