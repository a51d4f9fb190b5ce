import { exchange } from '../test/helpers.js';
import { wellFormednessProblems } from '../test/xml-wellformed.js';
import { layoutEvents, renderSequenceSvg } from './sequence-diagram.js';

const count = (text: string, needle: string) => text.split(needle).length - 1;

describe('SVG sequence diagram', () => {
  // IDE -> gateway (open 0..100 ms); the gateway fetches the JWKS (observed, 40..42 ms) and
  // calls the model (observed, 60..70 ms); the harness flips a flag (control, never drawn).
  const exchanges = [
    exchange({ id: 'x1', from: 'ide', to: 'ai-gateway', startedAt: '2025-01-01T00:00:00.000Z', durationMs: 100, label: 'keystroke' }),
    exchange({ id: 'x2', from: 'harness', to: 'gitlab-saas', kind: 'control', method: 'PUT', url: 'http://s/-/harness/flags/f', startedAt: '2025-01-01T00:00:00.010Z' }),
    exchange({ id: 'x3', from: 'ai-gateway', to: 'gitlab-saas', kind: 'observed', method: 'GET', url: 'http://s/oauth/discovery/keys', startedAt: '2025-01-01T00:00:00.040Z', durationMs: 2 }),
    exchange({ id: 'x4', from: 'ai-gateway', to: 'fake-model', kind: 'observed', url: 'http://m/v1/completions', startedAt: '2025-01-01T00:00:00.060Z', durationMs: 10 }),
    exchange({ id: 'x5', from: 'ide', to: 'ai-gateway', startedAt: '2025-01-01T00:00:00.100Z', durationMs: 5, error: 'connect ECONNREFUSED', response: undefined }),
  ];

  it('draws one request arrow per exchange (and one response arrow), control traffic left out', () => {
    const svg = renderSequenceSvg(exchanges);
    expect(count(svg, 'class="arrow request')).toBe(4);
    expect(count(svg, 'class="arrow response')).toBe(4);
    expect(svg).not.toContain('data-exchange="x2"');
    expect(wellFormednessProblems(svg)).toEqual([]);
  });

  it('labels requests with the label or METHOD path and responses with the status', () => {
    const svg = renderSequenceSvg(exchanges);
    expect(svg).toContain('>keystroke</text>');
    expect(svg).toContain('>GET /oauth/discovery/keys</text>');
    expect(svg).toContain('>200</text>');
    expect(svg).toMatch(/class="arrow response scenario error"[^>]*data-exchange="x5"/);
  });

  it('orders participants ide, gitlab-saas, ai-gateway, fake-model (only those taking part)', () => {
    const svg = renderSequenceSvg(exchanges);
    const order = [...svg.matchAll(/data-participant="([^"]+)"/g)].map((m) => m[1]);
    expect(order).toEqual(['ide', 'gitlab-saas', 'ai-gateway', 'fake-model']);
  });

  it('draws the gateway calls it makes while answering inside that exchange', () => {
    const order = layoutEvents(exchanges).map((e) => `${e.kind}:${e.exchange.id}`);
    expect(order).toEqual([
      'request:x1',
      'request:x3',
      'response:x3',
      'request:x4',
      'response:x4',
      'response:x1',
      'request:x5',
      'response:x5',
    ]);
  });

  it('puts each model call under the keystroke it falls in, not the one a few milliseconds earlier', () => {
    // Three keystrokes 3 ms apart; the model calls happen 1 ms into the 2nd and the 3rd.
    const order = layoutEvents([
      exchange({ id: 'k1', from: 'ide', to: 'ai-gateway', startedAt: '2025-01-01T00:00:00.000Z', durationMs: 2 }),
      exchange({ id: 'k2', from: 'ide', to: 'ai-gateway', startedAt: '2025-01-01T00:00:00.003Z', durationMs: 2 }),
      exchange({ id: 'k3', from: 'ide', to: 'ai-gateway', startedAt: '2025-01-01T00:00:00.006Z', durationMs: 2 }),
      exchange({ id: 'm2', from: 'ai-gateway', to: 'fake-model', kind: 'observed', startedAt: '2025-01-01T00:00:00.004Z', durationMs: 1 }),
      exchange({ id: 'm3', from: 'ai-gateway', to: 'fake-model', kind: 'observed', startedAt: '2025-01-01T00:00:00.007Z', durationMs: 1 }),
    ]).map((e) => `${e.kind}:${e.exchange.id}`);
    expect(order).toEqual([
      'request:k1',
      'response:k1',
      'request:k2',
      'request:m2',
      'response:m2',
      'response:k2',
      'request:k3',
      'request:m3',
      'response:m3',
      'response:k3',
    ]);
  });

  it('draws an exchange that ends in the same millisecond the next begins before it', () => {
    const order = layoutEvents([
      exchange({ id: 'a', startedAt: '2025-01-01T00:00:00.000Z', durationMs: 0 }),
      exchange({ id: 'b', startedAt: '2025-01-01T00:00:00.000Z', durationMs: 3 }),
    ]).map((e) => `${e.kind}:${e.exchange.id}`);
    expect(order).toEqual(['request:a', 'response:a', 'request:b', 'response:b']);
  });

  it('highlights the exchanges of failed checks and escapes every label', () => {
    const svg = renderSequenceSvg(
      [exchange({ id: 'x9', label: '<script>alert(1)</script>' }), exchange({ id: 'x10', startedAt: '2025-01-01T00:00:01.000Z' })],
      { highlight: new Map([['x9', 'failed']]) },
    );
    expect(svg).toMatch(/class="arrow request scenario failed" data-exchange="x9"/);
    expect(svg).not.toMatch(/class="[^"]*failed[^"]*" data-exchange="x10"/);
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;');
    expect(wellFormednessProblems(svg)).toEqual([]);
  });
});
