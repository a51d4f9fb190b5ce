import 'reflect-metadata';
import type { DynamicModule, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { PATH } from '../../../contracts/src/index.js';
import { ConfigError } from './config.js';
import { PinoNestLogger } from './logger.js';
import type { RequestLog } from './request-log.js';

export interface HttpAppOptions {
  module: Type<unknown> | DynamicModule;
  logger: Logger;
  host: string;
  port: number;
  /** Largest accepted request body; Fastify answers 413 above it. */
  bodyLimit?: number;
  /** Records answered requests for the harness control API. */
  requestLog?: RequestLog;
}

export interface RunningHttpApp {
  app: NestFastifyApplication;
  /** The URL the app listens on (loopback form). */
  url: string;
  port: number;
}

/** Builds a Nest app on Fastify with pino logging, without listening (tests use this too). */
export async function createHttpApp(options: Omit<HttpAppOptions, 'host' | 'port'>): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
  });
  const app = await NestFactory.create<NestFastifyApplication>(options.module, adapter, {
    logger: new PinoNestLogger(options.logger),
    abortOnError: false,
  });
  if (options.requestLog) {
    const log = options.requestLog;
    app
      .getHttpAdapter()
      .getInstance()
      .addHook('onResponse', async (req, reply) => {
        if (req.url.startsWith(PATH.HARNESS_CONTROL_PREFIX)) return;
        log.record({
          at: new Date().toISOString(),
          method: req.method,
          path: req.url,
          status: reply.statusCode,
          durationMs: Math.round(reply.elapsedTime * 1000) / 1000,
          userAgent: req.headers['user-agent'],
        });
      });
  }
  app.enableShutdownHooks();
  return app;
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
