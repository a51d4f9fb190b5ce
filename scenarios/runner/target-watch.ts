/**
 * Notices a target that has stopped answering: after `limit` requests in a row to the same
 * role got no HTTP response at all (refused, reset, timed out), it reports once, so the run can
 * end with one clear error instead of one timeout per remaining check. Any response, whatever
 * its status, resets the count: a gateway answering 500 is answering.
 */
import type { Role } from '#contracts';

export const DEFAULT_UNANSWERED_LIMIT = 3;

export class TargetWatch {
  private readonly unanswered = new Map<Role, string[]>();
  private reported = false;

  constructor(
    private readonly onStopped: (role: Role, detail: string) => void,
    private readonly limit = DEFAULT_UNANSWERED_LIMIT,
  ) {}

  answered(role: Role): void {
    this.unanswered.delete(role);
  }

  /** A request to `role` got no response; `cause` says why (already redacted). */
  noResponse(role: Role, cause: string): void {
    const causes = [...(this.unanswered.get(role) ?? []), cause];
    this.unanswered.set(role, causes);
    if (causes.length >= this.limit && !this.reported) {
      this.reported = true;
      this.onStopped(role, `${causes.length} requests in a row got no response; last: ${cause}`);
    }
  }
}
