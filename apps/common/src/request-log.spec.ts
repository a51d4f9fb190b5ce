import { RequestLog, parseRequestLogQuery } from './request-log.js';

const entry = (at: string, path: string) => ({ at, method: 'GET', path, status: 200, durationMs: 1 });

describe('parseRequestLogQuery', () => {
  it('reads since as an instant and path as a prefix', () => {
    expect(parseRequestLogQuery({ since: '2024-05-01T14:00:00+02:00', path: '/oauth' })).toEqual({
      filter: { since: new Date('2024-05-01T12:00:00Z'), pathPrefix: '/oauth' },
    });
    expect(parseRequestLogQuery({})).toEqual({ filter: {} });
  });

  it('names the problem with anything the documents do not allow', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ since: '0.5' }, /^since must be one RFC 3339 date-time/],
      [{ since: '' }, /^since must be one RFC 3339 date-time/],
      [{ since: ['2024-05-01T12:00:00Z', '2024-05-02T12:00:00Z'] }, /^since must be one RFC 3339 date-time/],
      [{ path: 'oauth' }, /^path must be one path prefix starting with '\/'/],
      [{ path: ['/a', '/b'] }, /^path must be one path prefix/],
      [{ other: '1' }, /^unknown query parameter 'other' \(known: since, path\)/],
    ];
    for (const [query, problem] of cases) {
      const parsed = parseRequestLogQuery(query);
      expect('problem' in parsed && parsed.problem).toMatch(problem);
    }
  });
});

describe('RequestLog.list', () => {
  it('keeps the entries at or after since, compared as instants', () => {
    const log = new RequestLog();
    log.record(entry('2024-05-01T11:59:59.999Z', '/a'));
    log.record(entry('2024-05-01T12:00:00.000Z', '/b'));
    log.record(entry('2024-05-01T12:00:01.000Z', '/a/c'));
    expect(log.list({ since: new Date('2024-05-01T12:00:00Z') }).map((e) => e.path)).toEqual(['/b', '/a/c']);
    expect(log.list({ pathPrefix: '/a' }).map((e) => e.path)).toEqual(['/a', '/a/c']);
    // A year past 9999 has no 4-digit ISO form; it still comes after every entry.
    expect(log.list({ since: new Date(Date.UTC(10000, 0, 1)) })).toEqual([]);
  });
});
