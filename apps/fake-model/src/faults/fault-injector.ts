import { setTimeout as delay } from 'node:timers/promises';

export interface Faults {
  /** Added before every completion answer. */
  latencyMs: number;
  /** The next N completions answer `failStatus` with {"error":"injected fault"}. */
  failNext: number;
  failStatus: number;
  /** The next N completions never answer; the client has to give up. */
  hangNext: number;
}

export type FaultPatch = Partial<Faults>;

/** What happens to one completion request. */
export type Fate = { kind: 'answer' } | { kind: 'fail'; status: number } | { kind: 'hang' };

/**
 * Failure modes of the fake model, changed at run time by the control API. Hanging requests
 * and latency waits hold no timer beyond their own and end when the client disconnects or the
 * app closes (`close()`), so a test run never leaks handles.
 */
export class FaultInjector {
  private faults: Faults;
  private readonly closing = new AbortController();

  constructor(initialLatencyMs: number) {
    this.faults = { latencyMs: initialLatencyMs, failNext: 0, failStatus: 500, hangNext: 0 };
  }

  current(): Faults {
    return { ...this.faults };
  }

  update(patch: FaultPatch): Faults {
    this.faults = { ...this.faults, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) };
    return this.current();
  }

  /** Decides (and consumes) the fate of the next completion: hangs first, then failures. */
  nextFate(): Fate {
    if (this.faults.hangNext > 0) {
      this.faults.hangNext--;
      return { kind: 'hang' };
    }
    if (this.faults.failNext > 0) {
      this.faults.failNext--;
      return { kind: 'fail', status: this.faults.failStatus };
    }
    return { kind: 'answer' };
  }

  /** Waits the configured latency; resolves early (false) when `clientGone` aborts or the app closes. */
  async applyLatency(clientGone: AbortSignal): Promise<boolean> {
    if (this.faults.latencyMs <= 0) return true;
    try {
      await delay(this.faults.latencyMs, undefined, { signal: AbortSignal.any([clientGone, this.closing.signal]) });
      return true;
    } catch {
      return false;
    }
  }

  /** Never resolves on its own: only when the client disconnects or the app closes. No timer. */
  hang(clientGone: AbortSignal): Promise<void> {
    const signals = [clientGone, this.closing.signal];
    if (signals.some((s) => s.aborted)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        for (const s of signals) s.removeEventListener('abort', done);
        resolve();
      };
      for (const s of signals) s.addEventListener('abort', done, { once: true });
    });
  }

  /** Releases every waiting request (app shutdown). */
  close(): void {
    this.closing.abort();
  }
}
