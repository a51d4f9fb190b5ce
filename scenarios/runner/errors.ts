/**
 * Errors that end a run before any scenario result exists, each mapped to its own exit code
 * by the CLI: a usage or profile mistake (2) and an embedded stack that would not start (3).
 */

/** The command line, a profile or an expectations file is wrong; the message says how to fix it. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The embedded stack could not be started (port in use, build missing, a role exited or never became healthy). */
export class StackStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StackStartError';
  }
}

/** The run was stopped by SIGINT/SIGTERM (or an abort signal) before scenarios could run. */
export class InterruptedError extends Error {
  constructor(message = 'interrupted') {
    super(message);
    this.name = 'InterruptedError';
  }
}

export const EXIT = {
  OK: 0,
  FAILED: 1,
  USAGE: 2,
  STACK: 3,
} as const;
