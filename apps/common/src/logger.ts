import type { LoggerService } from '@nestjs/common';
import { pino, type Logger, type DestinationStream } from 'pino';
import { scrubbingDestination } from './log-scrubber.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  app: string;
  level: string;
  /** Where lines go; stdout by default. Tests pass a stream to inspect them. */
  destination?: DestinationStream;
}

/**
 * Structured JSON logs (pino). Credentials never reach a line: every line passes through
 * scrubbingDestination, which walks every string of the record (message, bindings, serialized
 * request and error, member names) and redacts credentials by pattern and by name
 * (log-scrubber.ts). The request serializer keeps only the fields worth a line.
 */
export function createLogger({ app, level, destination }: LoggerOptions): Logger {
  return pino(
    {
      level,
      base: { app },
      serializers: {
        req: (req: { method?: string; url?: string; headers?: Record<string, string | undefined>; ip?: string }) => ({
          method: req.method,
          url: req.url,
          remoteAddress: req.ip,
          userAgent: req.headers?.['user-agent'],
        }),
        err: pino.stdSerializers.err,
      },
    },
    scrubbingDestination(destination ?? pino.destination({ sync: false })),
  );
}

/** Nest's own log output routed into the same pino logger. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string) {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string) {
    this.logger.error({ context, trace }, String(message));
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
