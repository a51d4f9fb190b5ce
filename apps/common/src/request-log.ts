import { redactUrl, type LoggedRequest } from '../../../contracts/src/index.js';

export type { LoggedRequest } from '../../../contracts/src/index.js';

/**
 * The last requests an app answered (bounded ring), for the harness control API: lets a
 * scenario observe traffic it did not send itself, such as a gateway fetching the JWKS.
 */
export class RequestLog {
  private readonly entries: LoggedRequest[] = [];

  constructor(private readonly capacity = 2000) {}

  record(entry: LoggedRequest): void {
    this.entries.push({ ...entry, path: redactUrl(entry.path) });
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
  }

  /** Entries after an ISO timestamp (inclusive), optionally filtered by path prefix. */
  list(filter: { since?: string; pathPrefix?: string } = {}): LoggedRequest[] {
    return this.entries.filter(
      (e) => (!filter.since || e.at >= filter.since) && (!filter.pathPrefix || e.path.startsWith(filter.pathPrefix)),
    );
  }

  clear(): void {
    this.entries.length = 0;
  }
}
