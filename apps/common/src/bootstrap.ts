import 'reflect-metadata';
import type { DynamicModule, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { type FastifyServerOptions, LogController } from 'fastify';
import type { Logger } from 'pino';
import { PATH } from '#contracts';
import { ConfigError } from './config.js';
import { ERROR_SHAPE, type ErrorShape } from './exceptions.js';
import { DEFAULT_HTTP_TIMEOUTS, type HttpTimeouts, httpHygieneOptions } from './http-server.js';
import { PinoNestLogger } from './logger.js';
import { RequestLog } from './request-log.js';
import { TRACEPARENT, TRACESTATE, parseTraceparent, runInTrace, senderOf } from './trace-context.js';

/** Fastify's per-request logger, when there is no access log: the app's own. */
const appLogger: NonNullable<FastifyServerOptions['childLoggerFactory']> = (logger) => logger;

export interface HttpAppOptions {
  module: Type<unknown> | DynamicModule;
  logger: Logger;
  host: string;
  port: number;
  /** Largest accepted request body; Fastify answers 413 above it. */
  bodyLimit?: number;
  /** Bounds on receiving a request (then 408 and the connection closed); DEFAULT_HTTP_TIMEOUTS when unset. */
  timeouts?: HttpTimeouts;
  /** Fastify's per-request log lines (ACCESS_LOG); off when unset. */
  accessLog?: boolean;
}

export interface RunningHttpApp {
  app: NestFastifyApplication;
  /** The URL the app listens on (loopback form). */
  url: string;
  port: number;
}

/**
 * Builds a Nest app on Fastify with pino logging, without listening (tests use this too). The
 * module must provide its ERROR_SHAPE (errorHandlingProviders): answers given before Nest sees a
 * request (408, 431, a malformed URL) use it too.
 */
export async function createHttpApp(options: Omit<HttpAppOptions, 'host' | 'port'>): Promise<NestFastifyApplication> {
  // Known once the module is built; the server answers nothing before (it is not listening yet).
  let shape: ErrorShape = (status, reason) => ({ error: `${status} ${reason}` });
  const appShape = (): ErrorShape => shape;
  const adapter = new FastifyAdapter({
    loggerInstance: options.logger,
    logController: new LogController({ disableRequestLogging: options.accessLog !== true }),
    // Without the access log, a request's own child logger (its reqId binding, serialized per
    // request) is not worth making: lines written while answering use the app's logger.
    ...(options.accessLog === true ? {} : { childLoggerFactory: appLogger }),
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    ...httpHygieneOptions(options.timeouts ?? DEFAULT_HTTP_TIMEOUTS, appShape, options.logger),
  });
  const app = await NestFactory.create<NestFastifyApplication>(options.module, adapter, {
    logger: new PinoNestLogger(options.logger),
    abortOnError: false,
  });
  try {
    shape = app.get<ErrorShape>(ERROR_SHAPE, { strict: false });
  } catch {
    await app.close();
    throw new Error('the app module provides no ERROR_SHAPE: register errorHandlingProviders(shape, loggerToken)');
  }
  const fastify = app.getHttpAdapter().getInstance();
  // W3C Trace Context: the rest of the request, and every call made for it, runs in its trace.
  fastify.addHook('onRequest', (req, _reply, done) => {
    const trace = parseTraceparent(req.headers[TRACEPARENT]);
    if (trace) runInTrace(trace, done);
    else done();
  });
  // Answered requests are recorded only while the control API, which provides the log, is on.
  const log = optionalProvider(app, RequestLog);
  if (log) {
    fastify.addHook('onResponse', async (req, reply) => {
      if (req.url.startsWith(PATH.HARNESS_CONTROL_PREFIX)) return;
      const trace = parseTraceparent(req.headers[TRACEPARENT]);
      const from = senderOf(req.headers[TRACESTATE]);
      log.record({
        at: Date.now(),
        method: req.method,
        path: req.url,
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 1000) / 1000,
        userAgent: req.headers['user-agent'],
        ...(trace ? { traceId: trace.traceId } : {}),
        ...(from ? { from } : {}),
      });
    });
  }
  app.enableShutdownHooks();
  return app;
}

/** A provider of the app's container, or undefined when no module provides it. */
function optionalProvider<T>(app: NestFastifyApplication, token: Type<T>): T | undefined {
  try {
    return app.get(token, { strict: false });
  } catch {
    return undefined;
  }
}

/** Creates the app and listens; resolves with the URL once the port is bound. */
export async function startHttpApp(options: HttpAppOptions): Promise<RunningHttpApp> {
  const app = await createHttpApp(options);
  await app.listen(options.port, options.host);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return { app, url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`, port };
}

/**
 * The shared `main()` wrapper: a configuration error prints its list of bad variables and
 * exits 78 (EX_CONFIG); any other start-up failure exits 1 with its message.
 */
export async function runMain(app: string, main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(78);
    }
    process.stderr.write(`${app}: failed to start: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  }
}
