import { parseRfc3339DateTime } from './rfc3339.js';

describe('parseRfc3339DateTime', () => {
  it('reads RFC 3339 date-times, offsets and fractions included, as the instant they name', () => {
    const cases: Array<[string, string]> = [
      ['2024-05-01T12:00:00Z', '2024-05-01T12:00:00.000Z'],
      ['2024-05-01t14:00:00.25+02:00', '2024-05-01T12:00:00.250Z'],
      ['2024-05-01T12:00:00.123456789z', '2024-05-01T12:00:00.123Z'],
      ['2024-05-01T00:30:00-01:30', '2024-05-01T02:00:00.000Z'],
      ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
      ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
      ['2016-12-31T23:59:60Z', '2017-01-01T00:00:00.000Z'],
      ['2016-12-31T15:59:60-08:00', '2017-01-01T00:00:00.000Z'],
    ];
    for (const [text, iso] of cases) expect([text, parseRfc3339DateTime(text)?.toISOString()]).toEqual([text, iso]);
  });

  it('refuses what Date.parse would take but RFC 3339 does not', () => {
    const refused = [
      '',
      '0.5',
      'yesterday',
      'May 1, 2024',
      '2024-05-01',
      '2024-05-01T12:00:00',
      '2024-05-01 12:00:00Z',
      '2024-05-01T12:00Z',
      '2024-05-01T12:00:00.Z',
      '2024-05-01T12:00:00+0100',
      '2023-02-29T00:00:00Z',
      '2024-04-31T00:00:00Z',
      '2024-13-01T00:00:00Z',
      '2024-05-01T24:00:00Z',
      '2024-05-01T12:60:00Z',
      '2024-05-01T12:00:00+24:00',
      '2024-05-01T12:59:60Z',
      '２０２４-05-01T12:00:00Z',
    ];
    for (const text of refused) expect([text, parseRfc3339DateTime(text)]).toEqual([text, undefined]);
  });
});
