import type { DestinationStream } from 'pino';
import { REDACTED, SECRET_HEADER_NAMES, isSecretFieldName, redactText, type RedactOptions } from '#contracts';

/**
 * How every string an app logs or records is made safe: credentials by pattern and by name
 * (contracts/src/redaction.ts), plus query values that look like opaque credentials whatever
 * their parameter is called. Why values and not only keys: the request log and debugging need
 * `since`, `path`, `page`, `client_id`, `redirect_uri`; the patterns cover every credential
 * format these systems issue or accept (JWS/JWE, GitLab's prefixed tokens, Basic/Bearer), the
 * names cover OAuth's and GitLab's credential parameters, and the opaque rule catches a
 * credential of unknown format under an unknown name.
 */
export const LOG_REDACTION: RedactOptions = { opaqueQueryValues: true };

/** Bounds on one log record: longer strings are cut, deeper or larger values are elided. */
export const LOG_BOUNDS = { maxStringChars: 8192, maxDepth: 16, maxNodes: 2000 } as const;

/** A string made safe to log: credentials redacted first (so a cut never exposes part of one), then cut to the bound. */
export function scrubLogString(text: string): string {
  const safe = redactText(text, LOG_REDACTION);
  if (safe.length <= LOG_BOUNDS.maxStringChars) return safe;
  return `${safe.slice(0, LOG_BOUNDS.maxStringChars)}… [${safe.length - LOG_BOUNDS.maxStringChars} more characters]`;
}

/**
 * Whether a log member carries a credential by its name. `code` is the exception: in a log it
 * is an error code (pino's err serializer, Node's ECONNREFUSED, Fastify's FST_ERR_*), and an
 * OAuth authorization code is caught where it travels, in a URL.
 */
function isSecretLogKey(key: string): boolean {
  return key !== 'code' && (SECRET_HEADER_NAMES.has(key.toLowerCase()) || isSecretFieldName(key));
}

type Container = Record<string, unknown> | unknown[];

/**
 * A copy of a JSON value (a parsed log record) with every string scrubbed, member names
 * included, and credential-named members redacted. Iterative, so any nesting is safe; beyond
 * LOG_BOUNDS.maxDepth a value is replaced by a marker, beyond maxNodes the rest is dropped.
 * Objects have no prototype, so a member named `__proto__` stays a member.
 */
export function scrubLogValue(value: unknown): unknown {
  if (typeof value === 'string') return scrubLogString(value);
  if (value === null || typeof value !== 'object') return value;
  const copyOf = (v: object): Container => (Array.isArray(v) ? [] : (Object.create(null) as Record<string, unknown>));
  const root = copyOf(value);
  const stack: Array<{ from: object; to: Container; depth: number }> = [{ from: value, to: root, depth: 1 }];
  let nodes = 0;
  while (stack.length > 0) {
    const { from, to, depth } = stack.pop()!;
    for (const [rawKey, v] of Object.entries(from)) {
      const key = Array.isArray(to) ? rawKey : scrubLogString(rawKey);
      const put = (x: unknown) => (Array.isArray(to) ? to.push(x) : (to[key] = x));
      if (++nodes > LOG_BOUNDS.maxNodes) {
        put(`[more than ${LOG_BOUNDS.maxNodes} values: the rest was dropped]`);
        stack.length = 0;
        break;
      }
      if (!Array.isArray(to) && isSecretLogKey(rawKey) && v !== null && typeof v !== 'number' && typeof v !== 'boolean') {
        put(REDACTED);
      } else if (typeof v === 'string') {
        put(scrubLogString(v));
      } else if (v !== null && typeof v === 'object') {
        if (depth >= LOG_BOUNDS.maxDepth) {
          put(`[nested deeper than ${LOG_BOUNDS.maxDepth} levels]`);
        } else {
          const child = copyOf(v);
          put(child);
          stack.push({ from: v, to: child, depth: depth + 1 });
        }
      } else {
        put(v);
      }
    }
  }
  return root;
}

/** One serialized pino line made safe: parsed, scrubbed, written again (a line that is no JSON is scrubbed as text). */
export function scrubLogLine(line: string): string {
  const newline = line.endsWith('\n') ? '\n' : '';
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return `${scrubLogString(line.slice(0, line.length - newline.length))}${newline}`;
  }
  return `${JSON.stringify(scrubLogValue(record))}${newline}`;
}

/**
 * A pino destination that scrubs every line before it reaches `inner`. This is the one place
 * that sees the whole record: pino applies serializers (Fastify's req/res/err included) after
 * its logMethod hook and log formatter, and child loggers (Fastify's per-request ones) reset the
 * bindings formatter, so a hook there would miss strings. No caller can bypass it.
 */
export function scrubbingDestination(inner: DestinationStream): DestinationStream {
  const target = inner as DestinationStream & { flush?: (cb?: (err?: Error) => void) => void; flushSync?: () => void; end?: () => void };
  const out: DestinationStream & Record<string, unknown> = {
    write: (line: string) => target.write(scrubLogLine(line)),
  };
  // pino's logger.flush() and final flushes call these when the destination has them.
  if (target.flush) out.flush = (cb?: (err?: Error) => void) => target.flush!(cb);
  if (target.flushSync) out.flushSync = () => target.flushSync!();
  if (target.end) out.end = () => target.end!();
  return out;
}
