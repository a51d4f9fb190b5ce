import type { LoggedRequest } from '#contracts';
import { scrubLogString } from './log-scrubber.js';
import { parseRfc3339DateTime } from './rfc3339.js';

export type { LoggedRequest } from '#contracts';

/** What record() takes: `at` as epoch milliseconds (cheap on the request path) or as an RFC 3339 string. */
export type RecordedRequest = Omit<LoggedRequest, 'at'> & { at: number | string };

/**
 * The last requests an app answered (a bounded ring), for the harness control API: lets a
 * scenario observe traffic it did not send itself, such as a gateway fetching the JWKS. Every
 * recorded string (method, path with its query, user agent) is scrubbed like a log line when
 * the log is read, never stored or shown unscrubbed: recording stays one array write per request.
 */
export class RequestLog {
  private readonly ring: (RecordedRequest | undefined)[];
  /** Where the next entry goes; entries older than `capacity` are overwritten. */
  private next = 0;

  constructor(private readonly capacity = 2000) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`a request log holds at least 1 entry (got ${capacity})`);
    this.ring = new Array<RecordedRequest | undefined>(capacity);
  }

  record(entry: RecordedRequest): void {
    this.ring[this.next] = entry;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Entries at or after `since`, optionally filtered by path prefix (the scrubbed path), oldest first. */
  list(filter: RequestLogFilter = {}): LoggedRequest[] {
    const since = filter.since?.getTime();
    const entries: LoggedRequest[] = [];
    for (let i = 0; i < this.capacity; i++) {
      const raw = this.ring[(this.next + i) % this.capacity];
      if (raw === undefined || (since !== undefined && epochMs(raw.at) < since)) continue;
      const entry = scrubbed(raw);
      if (!filter.pathPrefix || entry.path.startsWith(filter.pathPrefix)) entries.push(entry);
    }
    return entries;
  }

  clear(): void {
    this.ring.fill(undefined);
    this.next = 0;
  }
}

const epochMs = (at: number | string): number => (typeof at === 'number' ? at : Date.parse(at));

function scrubbed(entry: RecordedRequest): LoggedRequest {
  return {
    ...entry,
    at: typeof entry.at === 'number' ? new Date(entry.at).toISOString() : entry.at,
    method: scrubLogString(entry.method),
    path: scrubLogString(entry.path),
    ...(entry.userAgent === undefined ? {} : { userAgent: scrubLogString(entry.userAgent) }),
  };
}

export interface RequestLogFilter {
  since?: Date;
  pathPrefix?: string;
}

/**
 * The query of every app's GET /-/harness/requests, as the OpenAPI documents state it: `since`
 * an RFC 3339 date-time (entries at or after it), `path` a path prefix starting with `/`, nothing
 * else, each at most once. Returns the filter or the problem; each app words its 400 itself.
 */
export function parseRequestLogQuery(query: unknown): { filter: RequestLogFilter } | { problem: string } {
  const params = (query ?? {}) as Record<string, unknown>;
  const unknown = Object.keys(params).filter((k) => k !== 'since' && k !== 'path');
  if (unknown.length) return { problem: `unknown query parameter ${unknown.map((k) => `'${k}'`).join(', ')} (known: since, path)` };
  const filter: RequestLogFilter = {};
  if (params.since !== undefined) {
    const since = typeof params.since === 'string' ? parseRfc3339DateTime(params.since) : undefined;
    if (!since) return { problem: 'since must be one RFC 3339 date-time, e.g. 2024-05-01T12:00:00Z' };
    filter.since = since;
  }
  if (params.path !== undefined) {
    if (typeof params.path !== 'string' || !params.path.startsWith('/')) return { problem: "path must be one path prefix starting with '/'" };
    filter.pathPrefix = params.path;
  }
  return { filter };
}
