import { REDACTED } from '#contracts';
import { LOG_BOUNDS, scrubLogValue } from './log-scrubber.js';
import { RequestLog } from './request-log.js';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl';
const PAT = 'glpat-Zq8xY2pLm3Nw4Rt5Uv6W';
const OPAQUE = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b';

describe('scrubLogValue', () => {
  it('walks any depth without recursion and elides beyond the bound', () => {
    let deep: Record<string, unknown> = { leaf: PAT };
    for (let i = 0; i < 100_000; i++) deep = { next: deep };
    const out = scrubLogValue(deep) as Record<string, unknown>;
    let level = out;
    for (let i = 1; i < LOG_BOUNDS.maxDepth; i++) level = level.next as Record<string, unknown>;
    expect(level.next).toBe(`[nested deeper than ${LOG_BOUNDS.maxDepth} levels]`);
  });

  it('drops members past the node bound and cuts long strings after redacting them', () => {
    const wide = Object.fromEntries(Array.from({ length: LOG_BOUNDS.maxNodes + 10 }, (_, i) => [`k${i}`, i]));
    const out = scrubLogValue(wide) as Record<string, unknown>;
    expect(Object.keys(out)).toHaveLength(LOG_BOUNDS.maxNodes + 1);
    const long = scrubLogValue(`${'x'.repeat(LOG_BOUNDS.maxStringChars)}${PAT}`) as string;
    expect(long).not.toContain(PAT.slice(6));
    expect(long).toMatch(/… \[\d+ more characters\]$/);
  });

  it('keeps a member named __proto__ as a member, never as a prototype', () => {
    const out = scrubLogValue(JSON.parse('{"__proto__":{"polluted":true},"a":1}')) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('RequestLog', () => {
  it('records path, query and user agent scrubbed like a log line', () => {
    const log = new RequestLog();
    log.record({
      at: '2025-01-01T00:00:00.000Z',
      method: 'GET',
      path: `/api/v4/x/${PAT}?private_token[]=tok-four&sid=${OPAQUE}&page=3`,
      status: 404,
      durationMs: 1,
      userAgent: `ide/2.0 ${JWT}`,
    });
    const [entry] = log.list();
    const text = JSON.stringify(entry);
    for (const secret of [PAT.slice(6), 'tok-four', OPAQUE, 'c2lnbmF0dXJl']) expect(text).not.toContain(secret);
    expect(entry!.path.startsWith(`/api/v4/x/glpat-${REDACTED}?`)).toBe(true);
    expect(entry!.path.endsWith('&page=3')).toBe(true);
    expect(entry!.userAgent).toBe(`ide/2.0 ${REDACTED}`);
    expect(log.list({ pathPrefix: '/api/v4/x/' })).toHaveLength(1);
  });
});
