/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) in the gateway doubles, as an
 * OpenTelemetry-instrumented service propagates it: a request with a valid `traceparent` is
 * handled inside its trace, and every call made meanwhile (discovery, JWKS, the model) carries
 * the same trace id under a new parent id, plus `tracestate: ai-auth-harness=ai-gateway`. The
 * harness gives each check its own trace, so the roles' request logs tie a double's calls to the
 * check that caused them. Written apart from apps/common; only contract constants are shared.
 * Test-only.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { TRACESTATE_KEY, TRACE_HEADER } from '#contracts';

/** The trace a request belongs to: its trace id (32 hex) and trace flags (2 hex). */
interface Trace {
  traceId: string;
  flags: string;
}

/** The role the doubles name in our tracestate member. */
const SENDER = 'ai-gateway';
/** Version 00: version-traceid-parentid-flags (§3.2.2); an all-zero trace or parent id is invalid. */
const TRACEPARENT_00 = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ALL_ZERO = /^0+$/;

const current = new AsyncLocalStorage<Trace>();

/** The trace of a request's `traceparent`; undefined when absent, repeated or invalid (§3.2.2.3: then ignored). */
function incomingTrace(req: IncomingMessage): Trace | undefined {
  const value = req.headersDistinct[TRACE_HEADER.TRACEPARENT];
  const m = value?.length === 1 ? TRACEPARENT_00.exec(value[0]!.trim()) : null;
  if (!m || ALL_ZERO.test(m[1]!) || ALL_ZERO.test(m[2]!)) return undefined;
  return { traceId: m[1]!, flags: m[3]! };
}

/** Runs `handle` (and every call it starts) inside the request's trace, when it carries one. */
export function inTraceOf<T>(req: IncomingMessage, handle: () => T): T {
  const trace = incomingTrace(req);
  return trace ? current.run(trace, handle) : handle();
}

/** Headers for a call made now: `traceparent` (same trace, new parent id) and our `tracestate`; none outside a trace. */
export function outboundTraceHeaders(): Record<string, string> {
  const trace = current.getStore();
  if (!trace) return {};
  return {
    [TRACE_HEADER.TRACEPARENT]: `00-${trace.traceId}-${randomBytes(8).toString('hex')}-${trace.flags}`,
    [TRACE_HEADER.TRACESTATE]: `${TRACESTATE_KEY}=${SENDER}`,
  };
}
