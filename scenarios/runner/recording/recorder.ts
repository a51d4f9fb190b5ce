/**
 * Keeps the exchanges of a run. Ids are unique over the run; every exchange made while a
 * check runs is attributed to that check through AsyncLocalStorage, so a check's record
 * lists exactly the requests its body made, whichever client made them.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { RecordedExchange } from '../types.js';

export interface CheckFrame {
  checkId: string;
  exchangeIds: string[];
  /** W3C trace id of the check: every request it makes carries it in traceparent. */
  traceId?: string;
  /** When the check started (ms since the epoch). */
  startedAt?: number;
  /** Texts the check attached to its result. */
  attachments?: Record<string, string>;
}

export class ExchangeRecorder {
  private readonly frames = new AsyncLocalStorage<CheckFrame>();
  private sink: RecordedExchange[] = [];
  private counter = 0;

  /** Exchanges recorded from now on go to `sink` (one array per scenario). */
  collectInto(sink: RecordedExchange[]): void {
    this.sink = sink;
  }

  nextId(): string {
    this.counter += 1;
    return `x${String(this.counter).padStart(4, '0')}`;
  }

  add(exchange: RecordedExchange): void {
    this.sink.push(exchange);
    this.frames.getStore()?.exchangeIds.push(exchange.id);
  }

  /** Runs `fn` as check `checkId`; exchanges made inside are listed in the frame. */
  runInCheck<T>(frame: CheckFrame, fn: () => Promise<T>): Promise<T> {
    return this.frames.run(frame, fn);
  }

  currentCheck(): CheckFrame | undefined {
    return this.frames.getStore();
  }
}
