import { Global, type InjectionToken, Module } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { captureLogger } from '#common/testing/app';
import { gitlab } from '../../app.js';
import type { Clock } from '../../instance/di.js';
import { InstanceInfo } from '../../instance/instance-info.js';
import { CABLE_LIMITS, type CableLimits, DEFAULT_CABLE_LIMITS } from '../cable-limits.js';

/** A running gitlab app whose GraphqlSubscriptions is the test's own. */
export interface CableTestApp {
  /** http://127.0.0.1:<port>, the instance URL. */
  url: string;
  /** ws://127.0.0.1:<port>/-/cable */
  cableUrl: string;
  app: NestFastifyApplication;
  /** Log lines at LOG_LEVEL (info unless given). */
  lines: string[];
  close(): Promise<void>;
}

/** A value standing in for whatever the app provides under `provide` (or for nothing). */
export interface TestOverride {
  provide: InjectionToken;
  useValue: unknown;
}

/**
 * The whole gitlab app (SaaS unless `env` says otherwise) with the test's own values for some
 * providers (e.g. GraphqlSubscriptions, or the chat path AiChat), whether or not the app provides
 * them, optional cable limits and clock, listening on a free loopback port.
 */
export async function startCableTestApp(
  options: { overrides?: TestOverride[]; env?: Record<string, string>; limits?: Partial<CableLimits>; clock?: Clock } = {},
): Promise<CableTestApp> {
  const config = gitlab.definition.load({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...options.env });
  const { logger, lines } = captureLogger(gitlab.definition.name, config.logLevel);
  const limits: CableLimits = { ...DEFAULT_CABLE_LIMITS, ...options.limits };

  const overrides = options.overrides ?? [];
  const provided = [...overrides, { provide: CABLE_LIMITS, useValue: limits }];

  @Global()
  @Module({ providers: provided, exports: provided.map((p) => p.provide) })
  class CableTestModule {}

  let builder = Test.createTestingModule({
    imports: [gitlab.module(config, { logger, ...(options.clock ? { clock: options.clock } : {}) }), CableTestModule],
  });
  // Where the app provides the token itself, its provider is replaced too.
  for (const o of overrides) builder = builder.overrideProvider(o.provide).useValue(o.useValue);
  const moduleRef = await builder.compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = `http://127.0.0.1:${port}`;
  app.get(InstanceInfo).bindListeningUrl(url);
  return { url, cableUrl: `ws://127.0.0.1:${port}/-/cable`, app, lines, close: () => app.close() };
}
