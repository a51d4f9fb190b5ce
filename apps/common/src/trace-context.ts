/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) through the emulators: a request that
 * carries `traceparent` is handled inside that trace, and every call the app makes while
 * handling it (the gateway's discovery, JWKS and model calls, the self-managed relay's call to
 * SaaS) carries the same trace id with a new parent id, plus a `tracestate` member naming the
 * app that made it. The harness gives each check its own trace, so the request log
 * (GET /-/harness/requests) tells which check caused a call and who sent it, without guessing
 * from user agents and clocks. Any OpenTelemetry-instrumented implementation propagates the
 * same header.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { TRACESTATE_KEY, TRACE_HEADER } from '#contracts';

export const TRACEPARENT = TRACE_HEADER.TRACEPARENT;
export const TRACESTATE = TRACE_HEADER.TRACESTATE;

/** version 00, trace-id (32 hex), parent-id (16 hex), flags (2 hex); §3.2.2. */
const TRACEPARENT_00 = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ALL_ZERO = /^0+$/;
const SENDER = /^[a-z][a-z0-9-]{0,31}$/;

export interface TraceContext {
  traceId: string;
  flags: string;
}

/** The trace of a `traceparent` value, or undefined when it is absent or invalid (§3.2.2.3: then ignored). */
export function parseTraceparent(value: unknown): TraceContext | undefined {
  if (typeof value !== 'string') return undefined;
  const m = TRACEPARENT_00.exec(value.trim());
  if (!m || ALL_ZERO.test(m[1]!) || ALL_ZERO.test(m[2]!)) return undefined;
  return { traceId: m[1]!, flags: m[3]! };
}

/** The sender a `tracestate` names in our member (`ai-auth-harness=<role>`), if any. */
export function senderOf(tracestate: unknown): string | undefined {
  if (typeof tracestate !== 'string' || tracestate.length > 512) return undefined;
  for (const member of tracestate.split(',')) {
    const [key, value] = member.trim().split('=', 2);
    if (key === TRACESTATE_KEY && value !== undefined && SENDER.test(value)) return value;
  }
  return undefined;
}

const storage = new AsyncLocalStorage<TraceContext>();

/** Runs `fn` (and everything it starts) inside `trace`. */
export function runInTrace<T>(trace: TraceContext, fn: () => T): T {
  return storage.run(trace, fn);
}

export function currentTrace(): TraceContext | undefined {
  return storage.getStore();
}

/** A traceparent for a call within `trace`: the same trace id, a new parent id. */
export function childTraceparent(trace: TraceContext): string {
  return `00-${trace.traceId}-${randomBytes(8).toString('hex')}-${trace.flags}`;
}

/** Headers for a call this app (`self`, e.g. 'ai-gateway') makes now: empty outside a trace. */
export function outboundTraceHeaders(self: string): Record<string, string> {
  const trace = storage.getStore();
  return trace ? { [TRACEPARENT]: childTraceparent(trace), [TRACESTATE]: `${TRACESTATE_KEY}=${self}` } : {};
}
