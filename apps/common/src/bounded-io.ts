/**
 * Bounded reading of untrusted input: one reader for every outbound response body (discovery,
 * JWKS, model, the self-managed relay's SaaS answer) and one depth/size bound for untrusted
 * JSON that we serialise, scrub or store. Recursion over a value nested 100k deep overflows the
 * stack (JSON.stringify, a scrubber): such values are refused before anything walks them.
 */

/** A body larger than the caller's limit; the rest was not read. */
export class BodyTooLargeError extends Error {
  constructor(
    readonly limitBytes: number,
    /** Bytes seen before giving up (at least limit + 1), or the announced Content-Length. */
    readonly seenBytes: number,
  ) {
    super(`response body exceeds ${limitBytes} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/**
 * The body of a fetch Response as UTF-8 text, reading at most `limitBytes` (a larger
 * Content-Length is refused before reading). Throws BodyTooLargeError past the limit; transport
 * errors (a connection cut mid-body, an abort) propagate unchanged.
 */
export async function readBoundedText(response: Response, limitBytes: number): Promise<string> {
  const announced = Number(response.headers.get('content-length') ?? Number.NaN);
  return readBounded(response.body ?? NO_BODY, limitBytes, Number.isFinite(announced) ? announced : undefined, () => response.body?.cancel().catch(() => undefined));
}

/** A Response without a body reads as no chunks. */
const NO_BODY: AsyncIterable<Uint8Array> = { async *[Symbol.asyncIterator]() {} };

/** A Node body stream as readBoundedStream reads it (undici's `request` body is one). */
export type BodyStream = AsyncIterable<Uint8Array> & { destroy(): unknown; on(event: 'error', listener: (error: Error) => void): unknown };

/**
 * A Node body stream (undici's `request` body) as UTF-8 text, under readBoundedText's rule:
 * at most `limitBytes`, a larger `announcedBytes` (the Content-Length) refused before reading.
 * Past the limit the stream is destroyed unread; the abort error undici then emits has no one to
 * tell, and must not crash the process.
 */
export function readBoundedStream(body: BodyStream, limitBytes: number, announcedBytes?: number): Promise<string> {
  return readBounded(body, limitBytes, announcedBytes, () => {
    body.on('error', () => undefined);
    body.destroy();
  });
}

/** The one bounded read: `hangUp` stops the body (unread) before BodyTooLargeError is thrown. */
async function readBounded(body: AsyncIterable<Uint8Array>, limitBytes: number, announcedBytes: number | undefined, hangUp: () => unknown): Promise<string> {
  if (announcedBytes !== undefined && announcedBytes > limitBytes) {
    await hangUp();
    throw new BodyTooLargeError(limitBytes, announcedBytes);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > limitBytes) {
      await hangUp();
      throw new BodyTooLargeError(limitBytes, size);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export interface JsonBounds {
  /** Deepest nesting of arrays/objects allowed (the top-level value is depth 1). */
  maxDepth: number;
  /** Most array elements plus object members in the whole value. */
  maxNodes?: number;
}

/** Why an untrusted JSON value is refused, as a sentence, or undefined when it is within bounds. Iterative: safe on any depth. */
export function jsonBoundsViolation(value: unknown, bounds: JsonBounds): string | undefined {
  const maxNodes = bounds.maxNodes ?? Number.POSITIVE_INFINITY;
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 1 }];
  let nodes = 0;
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth > bounds.maxDepth) return `nested deeper than ${bounds.maxDepth} levels`;
    const children = Array.isArray(current) ? current : Object.values(current as Record<string, unknown>);
    nodes += children.length;
    if (nodes > maxNodes) return `has more than ${maxNodes} members and elements`;
    for (const child of children) if (child !== null && typeof child === 'object') stack.push({ value: child, depth: depth + 1 });
  }
  return undefined;
}

/** Bounds for JSON that harness tools and emulators accept from outside (control API bodies, upstream error bodies). */
export const UNTRUSTED_JSON_BOUNDS: JsonBounds = { maxDepth: 32, maxNodes: 10_000 };
