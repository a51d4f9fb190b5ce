import type { FastifyReply } from 'fastify';
import { disconnectSignal } from './client-gone.js';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { setTimeout as delay } from 'node:timers/promises';
import type { ModelFaults, ModelFaultsUpdate } from '#contracts';
import { APP_CONFIG, type HarnessResettable } from '#common';
import type { FakeModelConfig } from '../config.js';

/**
 * The failure modes in force (contracts `faults`): `latencyMs` added before every completion
 * answer; the next `failNext` completions answer `failStatus` with {"error":"injected fault"};
 * the next `hangNext` completions never answer, the client has to give up.
 */
export type Faults = ModelFaults;

export type FaultPatch = ModelFaultsUpdate;

/** What happens to one completion request. */
export type Fate = { kind: 'answer' } | { kind: 'fail'; status: number } | { kind: 'hang' };

/**
 * Failure modes of the fake model (the one instance of the process), changed at run time by
 * the control API and restored by its reset. Hanging requests and latency waits hold no timer
 * beyond their own and end when the client disconnects or the app closes (`close()`, which
 * Nest runs before it closes the HTTP server), so a test run never leaks handles.
 */
@Injectable()
export class FaultInjector implements HarnessResettable, OnModuleDestroy {
  private faults!: Faults;
  private readonly closing = new AbortController();
  private readonly initialLatencyMs: number;

  constructor(@Inject(APP_CONFIG) config: Pick<FakeModelConfig, 'latencyMs'>) {
    this.initialLatencyMs = config.latencyMs;
    this.reset();
  }

  /** Back to FAKE_MODEL_LATENCY_MS and no failures. */
  reset(): void {
    this.faults = { latencyMs: this.initialLatencyMs, failNext: 0, failStatus: 500, hangNext: 0 };
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

  /**
   * Applies the next call's fate to `reply` before its answer: a hang (until the client goes,
   * then the socket is destroyed), the latency, or an injected status (answered here). Returns
   * true when the caller should answer normally, false when the reply is already dealt with.
   */
  async intercept(reply: FastifyReply): Promise<boolean> {
    const fate = this.nextFate();
    if (fate.kind === 'hang' || this.faults.latencyMs > 0) {
      const clientGone = disconnectSignal(reply);
      if (fate.kind === 'hang') {
        await this.hang(clientGone);
        reply.raw.destroy();
        return false;
      }
      if (!(await this.applyLatency(clientGone))) {
        reply.raw.destroy();
        return false;
      }
    }
    if (fate.kind === 'fail') {
      void reply.status(fate.status).send({ error: 'injected fault' });
      return false;
    }
    return true;
  }

  /** Releases every waiting request (app shutdown). */
  close(): void {
    this.closing.abort();
  }

  onModuleDestroy(): void {
    this.close();
  }
}
