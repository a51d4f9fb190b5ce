import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { redactText } from '../../../contracts/src/index.js';

/**
 * An error whose body is part of a contract (GitLab's `{"message": ...}`, the gateway's
 * `{"error": ...}`): sent verbatim, with its status and headers.
 */
export class ContractHttpException extends HttpException {
  constructor(
    readonly body: object,
    status: number,
    readonly headers: Record<string, string> = {},
  ) {
    super(body, status);
  }
}

/** How an app words errors that are not contract errors (404 routes, bad JSON, crashes). */
export type ErrorShape = (status: number, reason: string) => object;

/**
 * Every error leaves as JSON in the app's own shape: contract errors verbatim, framework
 * errors (unknown route, malformed body, body too large) with their status, anything else as a
 * 500 that is logged (redacted) and never echoes internals or credentials to the caller.
 */
@Catch()
export class ContractExceptionFilter implements ExceptionFilter {
  constructor(
    private readonly shape: ErrorShape,
    private readonly logger: Logger,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (exception instanceof ContractHttpException) {
      void reply.status(exception.getStatus()).headers(exception.headers).send(exception.body);
      return;
    }
    const status = statusOf(exception);
    if (status >= 500) {
      this.logger.error({ err: sanitize(exception) }, 'unhandled error');
      void reply.status(status).send(this.shape(status, 'Internal Server Error'));
      return;
    }
    void reply.status(status).send(this.shape(status, reasonOf(exception)));
  }
}

function statusOf(exception: unknown): number {
  if (exception instanceof HttpException) return exception.getStatus();
  const code = (exception as { statusCode?: unknown })?.statusCode;
  return typeof code === 'number' && code >= 400 && code < 600 ? code : 500;
}

function reasonOf(exception: unknown): string {
  if (exception instanceof HttpException) {
    const response = exception.getResponse();
    if (typeof response === 'string') return redactText(response);
    const message = (response as { message?: unknown }).message;
    if (typeof message === 'string') return redactText(message);
    if (Array.isArray(message)) return redactText(message.join('; '));
    return exception.message;
  }
  return redactText((exception as Error)?.message ?? 'Bad Request');
}

function sanitize(exception: unknown): { message: string; stack?: string | undefined } {
  const err = exception as Error;
  return { message: redactText(String(err?.message ?? exception)), stack: err?.stack ? redactText(err.stack) : undefined };
}
