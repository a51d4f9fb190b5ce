/**
 * RFC 3339 §5.6 `date-time`, the `format: date-time` of JSON Schema and of our OpenAPI
 * documents: `2024-05-01T12:00:00Z`, `2024-05-01t14:00:00.25+02:00`. Stricter than Date.parse,
 * which also takes `0.5`, `May 1` or a date without an offset: a control API that documents
 * date-time must refuse those, as Schemathesis checks.
 */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

const MINUTES_PER_DAY = 24 * 60;
const LAST_MINUTE_OF_DAY = 23 * 60 + 59;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * The instant an RFC 3339 date-time names, or undefined when the string is not one (calendar
 * checked: no 2023-02-29, hours 00-23, offsets up to ±23:59). A leap second (`:60`) is valid only
 * at 23:59 UTC, as RFC 3339 §5.7 says, and counts as the next second; fractions finer than a
 * millisecond are truncated.
 */
export function parseRfc3339DateTime(value: string): Date | undefined {
  const m = DATE_TIME.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const offsetHours = m[10] === undefined ? 0 : Number(m[10]);
  const offsetMinutes = m[11] === undefined ? 0 : Number(m[11]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 60 || offsetHours > 23 || offsetMinutes > 59) return undefined;
  const offset = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes);
  const utcMinuteOfDay = (((hour * 60 + minute - offset) % MINUTES_PER_DAY) + MINUTES_PER_DAY) % MINUTES_PER_DAY;
  if (second === 60 && utcMinuteOfDay !== LAST_MINUTE_OF_DAY) return undefined;
  const millis = m[7] ? Number(m[7].slice(1, 4).padEnd(3, '0')) : 0;
  // setUTCFullYear, not Date.UTC: Date.UTC maps the years 0-99 to 1900-1999.
  const instant = new Date(0);
  instant.setUTCFullYear(year, month - 1, day);
  instant.setUTCHours(hour, minute - offset, second, millis);
  return instant;
}
