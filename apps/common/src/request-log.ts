import type { LoggedRequest } from '#contracts';
import { scrubLogString } from './log-scrubber.js';
import { parseRfc3339DateTime } from './rfc3339.js';

export type { LoggedRequest } from '#contracts';

/**
 * The last requests an app answered (bounded ring), for the harness control API: lets a
 * scenario observe traffic it did not send itself, such as a gateway fetching the JWKS. Every
 * recorded string (method, path with its query, user agent) is scrubbed like a log line.
 */
export class RequestLog {
  private readonly entries: LoggedRequest[] = [];

  constructor(private readonly capacity = 2000) {}

  record(entry: LoggedRequest): void {
    this.entries.push({
      ...entry,
      method: scrubLogString(entry.method),
      path: scrubLogString(entry.path),
      ...(entry.userAgent === undefined ? {} : { userAgent: scrubLogString(entry.userAgent) }),
    });
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
  }

  /** Entries at or after `since`, optionally filtered by path prefix. */
  list(filter: RequestLogFilter = {}): LoggedRequest[] {
    const since = filter.since?.getTime();
    return this.entries.filter(
      (e) => (since === undefined || Date.parse(e.at) >= since) && (!filter.pathPrefix || e.path.startsWith(filter.pathPrefix)),
    );
  }

  clear(): void {
    this.entries.length = 0;
  }
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
