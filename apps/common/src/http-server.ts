import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { type ErrorShape, frameworkReason } from './exceptions.js';

/**
 * How long a client may take to send a request before the server answers 408 Request Timeout
 * (RFC 9110 §15.5.9) and closes the connection: a client that stalls mid-headers or mid-body
 * never holds a connection open for ever. Node's http server enforces both.
 */
export interface HttpTimeouts {
  /** Until the request's headers are complete (Node's `headersTimeout`); at most requestTimeoutMs. */
  headersTimeoutMs: number;
  /** Until the whole request, body included, is received (Node's `requestTimeout`). */
  requestTimeoutMs: number;
}

/** HEADERS_TIMEOUT_MS and REQUEST_TIMEOUT_MS when unset (Node's own are 60 s and 300 s). */
export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000 };

/**
 * How often Node looks for expired requests (its `connectionsCheckingInterval`, 30 s by default):
 * a quarter of the shorter timeout, between 10 ms and 1 s. So a stalled client is answered at
 * most 1 s (or a quarter of the timeout) after its bound.
 */
export function timeoutCheckIntervalMs(timeouts: HttpTimeouts): number {
  return Math.min(1000, Math.max(10, Math.floor(Math.min(timeouts.headersTimeoutMs, timeouts.requestTimeoutMs) / 4)));
}

/** Fastify server options for request bounds and for the answers Fastify gives before Nest sees a request. */
export interface HttpHygieneOptions {
  requestTimeout: number;
  http: { headersTimeout: number; requestTimeout: number; connectionsCheckingInterval: number };
  clientErrorHandler: (error: Error & { code?: string }, socket: Socket) => void;
  frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void;
}

/**
 * The server-level half of every app's HTTP hygiene, as Fastify options:
 * - request bounds (HttpTimeouts). Fastify's `requestTimeout` is set too: Fastify copies it onto
 *   the server after creating it, which would otherwise undo Node's option.
 * - `clientErrorHandler`: what Node's parser refuses (a timeout, oversized headers, a malformed
 *   request) is answered in the app's error shape with `Connection: close`, then the socket is
 *   closed. Fastify's default handler would log the error, and with it the raw bytes received.
 * - `frameworkErrors`: a malformed URL (400) or an over-long path parameter (414), which Fastify
 *   answers before routing and by default with the path quoted in the body.
 * `shape` is read when an answer is given: the app's error shape is known once the module is built.
 */
export function httpHygieneOptions(timeouts: HttpTimeouts, shape: () => ErrorShape, logger: Logger): HttpHygieneOptions {
  return {
    requestTimeout: timeouts.requestTimeoutMs,
    http: {
      headersTimeout: timeouts.headersTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      connectionsCheckingInterval: timeoutCheckIntervalMs(timeouts),
    },
    clientErrorHandler: (error, socket) => answerClientError(error, socket, shape(), logger),
    frameworkErrors: (error, _request, reply) => {
      const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 400;
      void reply.code(status).send(shape()(status, frameworkReason(error, status)));
    },
  };
}

function clientErrorStatus(code: string | undefined): number {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
  if (code === 'HPE_HEADER_OVERFLOW') return 431;
  return 400;
}

function answerClientError(error: Error & { code?: string }, socket: Socket, shape: ErrorShape, logger: Logger): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const status = clientErrorStatus(error.code);
  // The code only: a parser error carries the bytes received (rawPacket), credentials included.
  logger.info({ clientError: error.code ?? 'unknown', status }, 'client error answered');
  // As Node's own handler: no answer once a response on this socket has started.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    const reason = STATUS_CODES[status] ?? 'Bad Request';
    const body = JSON.stringify(shape(status, reason));
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
