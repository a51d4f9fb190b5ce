import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, type Provider } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { STATUS_CODES } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { redactJson, redactText } from '#contracts';
import { allowedMethods } from './allowed-methods.js';

/**
 * An error whose body is part of a contract (GitLab's `{"message": ...}`, the gateway's
 * `{"error": ...}`): sent as worded, with its status and headers; only a credential in it
 * (by pattern or by field name) is redacted.
 */
export class ContractHttpException extends HttpException {
  /**
   * A constant's body as JSON, serialized once (see `constant`): only the app's own words, sent
   * without scrubbing. Undefined for every other exception.
   */
  readonly json: string | undefined = undefined;

  constructor(
    readonly body: object,
    status: number,
    readonly headers: Record<string, string> = {},
  ) {
    super(body, status);
  }

  /**
   * An answer made once and thrown for every request that earns it (the gateway's refusals on
   * the per-keystroke path): no Error and stack trace per request, and no scrubbing, since its
   * words come from the contracts, never from request input. Its body and headers are frozen.
   */
  static constant(body: object, status: number, headers: Record<string, string> = {}): ContractHttpException {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      const exception = new ContractHttpException(Object.freeze(redactJson(body) as object), status, Object.freeze({ ...headers }));
      (exception as { json: string }).json = JSON.stringify(exception.body);
      return exception;
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}

/**
 * Answers `exception` as its contract words it, with its status and headers: the filter's way,
 * and that of a hook answering before Nest routes the request. Scrubbed by pattern all the same
 * unless its words are the app's own constants: a reason an app words from request input (a
 * path parameter, an upstream error body) must not hand a credential back.
 */
export function sendContractException(reply: FastifyReply, exception: ContractHttpException): FastifyReply {
  reply.status(exception.getStatus()).headers(exception.headers);
  // A constant goes out as the bytes it was serialized to once, with the type Fastify gives JSON.
  if (exception.json !== undefined) return reply.type(JSON_TYPE).send(exception.json);
  return reply.send(redactJson(exception.body));
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * How an app words errors that are not contract errors (unknown route, wrong method, bad JSON,
 * timeouts, crashes). `reason` is a fixed phrase, never request input: the bodies it builds
 * must not echo the path, the query or the body (they carry credentials).
 */
export type ErrorShape = (status: number, reason: string) => object;

/** The app's ErrorShape in its Nest container: the filter and bootstrap's pre-routing answers (400, 408, 414, 431) share it. */
export const ERROR_SHAPE = Symbol('ERROR_SHAPE');

/**
 * The providers an app module registers for its errors: its ErrorShape and the global
 * ContractExceptionFilter with that shape and the app's logger (`loggerToken`).
 */
export function errorHandlingProviders(shape: ErrorShape, loggerToken: string | symbol): Provider[] {
  return [
    { provide: ERROR_SHAPE, useValue: shape },
    { provide: APP_FILTER, inject: [loggerToken], useFactory: (logger: Logger) => new ContractExceptionFilter(shape, logger) },
  ];
}

/**
 * Reasons for errors Fastify and Node raise on request input. Their own messages quote that
 * input (the JSON parser quotes the body, FST_ERR_BAD_URL the path), so they are never sent.
 */
const FRAMEWORK_REASONS: Record<string, string> = {
  FST_ERR_CTP_EMPTY_JSON_BODY: "Body cannot be empty when content-type is set to 'application/json'",
  FST_ERR_CTP_INVALID_JSON_BODY: "Body is not valid JSON but content-type is set to 'application/json'",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'Unsupported Media Type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'Request body size did not match Content-Length',
  FST_ERR_CTP_BODY_TOO_LARGE: 'Request body is too large',
  FST_ERR_BAD_URL: 'Malformed URL',
  FST_ERR_MAX_PARAM_LENGTH: 'A path segment is too long',
};

/** The fixed reason for an error Fastify or Node raised (not an HttpException): by code, then by status. */
export function frameworkReason(exception: unknown, status: number): string {
  const code = (exception as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && FRAMEWORK_REASONS[code]) return FRAMEWORK_REASONS[code];
  if (exception instanceof SyntaxError) return 'Malformed JSON body';
  return STATUS_CODES[status] ?? 'Error';
}

/**
 * Every error leaves as JSON in the app's own shape: contract errors as worded; a request no
 * route matched as 404, or 405 with `Allow` when the path has routes for other methods;
 * framework errors (malformed body, body too large) with their status and a fixed reason;
 * anything else as a 500 that is logged (scrubbed) and never echoes internals or credentials.
 */
@Catch()
export class ContractExceptionFilter implements ExceptionFilter {
  constructor(
    private readonly shape: ErrorShape,
    private readonly logger: Logger,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    // A GraphQL resolver's error belongs to the GraphQL response (graphql-js places it in
    // `errors` with its path): hand it back rather than answer HTTP from inside an operation.
    if (host.getType<string>() === 'graphql') throw exception;
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    if (exception instanceof ContractHttpException) {
      void sendContractException(reply, exception);
      return;
    }
    const request = http.getRequest<FastifyRequest | undefined>();
    if (request?.is404 === true) {
      // Nest's own answer here is "Cannot GET <path and query>": answer from the route table instead.
      this.answerUnrouted(request, reply);
      return;
    }
    const status = statusOf(exception);
    if (status >= 500) {
      this.logger.error({ err: sanitize(exception) }, 'unhandled error');
      void reply.status(status).send(this.shape(status, 'Internal Server Error'));
      return;
    }
    void reply.status(status).send(this.shape(status, reasonOf(exception, status)));
  }

  /** RFC 9110 §15.5.6: 405 names the methods the target supports in Allow; 404 when it supports none. */
  private answerUnrouted(request: FastifyRequest, reply: FastifyReply): void {
    const allow = allowedMethods(request.server, request.url);
    if (allow.length > 0) {
      void reply.status(405).header('allow', allow.join(', ')).send(this.shape(405, 'Method Not Allowed'));
      return;
    }
    void reply.status(404).send(this.shape(404, 'Not Found'));
  }
}

function statusOf(exception: unknown): number {
  if (exception instanceof HttpException) return exception.getStatus();
  const code = (exception as { statusCode?: unknown })?.statusCode;
  return typeof code === 'number' && code >= 400 && code < 600 ? code : 500;
}

/** An HttpException's message is the app's own wording (scrubbed all the same); anything else gets a fixed reason. */
function reasonOf(exception: unknown, status: number): string {
  if (exception instanceof HttpException) {
    const response = exception.getResponse();
    if (typeof response === 'string') return redactText(response);
    const message = (response as { message?: unknown }).message;
    if (typeof message === 'string') return redactText(message);
    if (Array.isArray(message)) return redactText(message.join('; '));
    return redactText(exception.message);
  }
  return frameworkReason(exception, status);
}

function sanitize(exception: unknown): { message: string; stack?: string | undefined } {
  const err = exception as Error;
  return { message: redactText(String(err?.message ?? exception)), stack: err?.stack ? redactText(err.stack) : undefined };
}
