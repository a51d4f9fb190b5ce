import type { CheckFailureDetail } from './types.js';

/** Thrown by an assertion: the check FAILED (MUST) or WARNED (SHOULD) with this detail. */
export class CheckFailure extends Error {
  constructor(readonly detail: CheckFailureDetail) {
    super(detail.message);
    this.name = 'CheckFailure';
  }
}

/** Thrown by scope.skip(): the check does not apply here. */
export class CheckSkipped extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'CheckSkipped';
  }
}

/** A request got no HTTP response (refused, reset, timed out). */
export class TransportError extends Error {
  constructor(
    message: string,
    readonly exchangeId: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

/** A need could not be obtained (the target failed to provide it): the check is BLOCKED, not run. */
export class NeedUnavailable extends Error {
  constructor(
    readonly need: string,
    readonly reason: string,
  ) {
    super(`needs ${need}, which could not be obtained: ${reason}`);
    this.name = 'NeedUnavailable';
  }
}
