import type { LoggerService } from '@nestjs/common';
import { pino, type Logger, type DestinationStream } from 'pino';
import { redactText, redactUrl, REDACTED, SECRET_HEADER_NAMES } from '../../../contracts/src/index.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  app: string;
  level: string;
  /** Where lines go; stdout by default. Tests pass a stream to inspect them. */
  destination?: DestinationStream;
}

/**
 * Structured JSON logs (pino). Credentials never reach a line: request serializers keep only
 * safe fields with credential query parameters redacted, header paths are censored, and every
 * string message is scrubbed of tokens as a last line of defence.
 */
export function createLogger({ app, level, destination }: LoggerOptions): Logger {
  const headerPaths = [...SECRET_HEADER_NAMES].flatMap((h) => [`req.headers["${h}"]`, `headers["${h}"]`]);
  return pino(
    {
      level,
      base: { app },
      redact: { paths: headerPaths, censor: REDACTED },
      serializers: {
        req: (req: { method?: string; url?: string; headers?: Record<string, string | undefined>; ip?: string }) => ({
          method: req.method,
          url: req.url ? redactUrl(req.url) : undefined,
          remoteAddress: req.ip,
          userAgent: req.headers?.['user-agent'],
        }),
        err: pino.stdSerializers.err,
      },
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((a) => (typeof a === 'string' ? redactText(a) : a)) as Parameters<typeof method>,
          );
        },
      },
    },
    destination ?? pino.destination({ sync: false }),
  );
}

/** Nest's own log output routed into the same pino logger. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string) {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string) {
    this.logger.error({ context, trace: trace ? redactText(trace) : undefined }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string) {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string) {
    this.logger.trace({ context }, String(message));
  }
}
