/** A clock the test moves by hand: no timers, no waiting. */
export class ManualClock {
  constructor(public nowMs: number = Date.UTC(2025, 0, 15, 12, 0, 0)) {}
  readonly now = (): number => this.nowMs;
  advanceSeconds(seconds: number): void {
    this.nowMs += seconds * 1000;
  }
  advanceMs(ms: number): void {
    this.nowMs += ms;
  }
  /** A JwksCache `sleep` that moves this clock instead of waiting, and records each wait. */
  readonly sleeps: number[] = [];
  readonly sleep = async (ms: number): Promise<void> => {
    this.sleeps.push(ms);
    this.nowMs += ms;
  };
}
