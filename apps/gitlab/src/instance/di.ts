/** Injection symbols of the gitlab app (APP_CONFIG and APP_LOGGER come from apps/common). */

/** The source of the current time; tests pass a fixed one. */
export const CLOCK = Symbol('CLOCK');
/** The fixture section of this instance's mode, validated (identity/fixture-loader.ts). */
export const INSTANCE_FIXTURE = Symbol('INSTANCE_FIXTURE');

/** Source of the current time. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
