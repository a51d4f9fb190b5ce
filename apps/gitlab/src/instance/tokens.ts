/** DI tokens of values the gitlab app is built from (config, logger, clock, fixture). */
export const GITLAB_CONFIG = Symbol('GITLAB_CONFIG');
export const LOGGER = Symbol('LOGGER');
export const CLOCK = Symbol('CLOCK');
export const REQUEST_LOG = Symbol('REQUEST_LOG');
/** The fixture section of this instance's mode, validated (identity/fixture-loader.ts). */
export const INSTANCE_FIXTURE = Symbol('INSTANCE_FIXTURE');

/** Source of the current time; tests pass a fixed one. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
