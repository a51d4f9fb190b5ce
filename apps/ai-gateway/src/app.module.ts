import { type DynamicModule, Module } from '@nestjs/common';
import {
  errorHandlingProviders,
  HARNESS_CONTROL_TOKEN,
  HarnessControlGuard,
  RequestLog,
  type Logger,
} from '../../common/src/index.js';
import { AuthModule } from './auth/auth.module.js';
import { CompletionsModule } from './completions/completions.module.js';
import type { AiGatewayConfig } from './config.js';
import { ControlModule } from './control/control.module.js';
import { LenientBodyParsing } from './http/lenient-body-parsing.js';
import { MonitoringModule } from './monitoring/monitoring.module.js';
import { AIGW_CLOCK, AIGW_CONFIG, AIGW_FETCH, AIGW_LOGGER, AIGW_REQUEST_LOG, type Clock, type FetchFn } from './tokens.js';

export interface AiGatewayDeps {
  logger: Logger;
  /** Shared with startHttpApp, which records answered requests into it. */
  requestLog?: RequestLog;
  /** Outbound HTTP (discovery, JWKS, model); the global fetch by default. */
  fetch?: FetchFn;
  clock?: Clock;
}

/** FastAPI's error shape for everything that is not a contract error; unknown routes say "Not Found". */
export const gatewayErrorShape = (status: number, reason: string) => ({ detail: status === 404 ? 'Not Found' : reason });

/** The AI gateway's root module, built from a config object (tests need no environment). */
@Module({})
export class AiGatewayModule {
  static forRoot(config: AiGatewayConfig, deps: AiGatewayDeps): DynamicModule {
    const controlEnabled = config.HARNESS_CONTROL_TOKEN !== undefined;
    return {
      module: AiGatewayModule,
      global: true,
      imports: [AuthModule, CompletionsModule, MonitoringModule, ...(controlEnabled ? [ControlModule] : [])],
      providers: [
        { provide: AIGW_CONFIG, useValue: config },
        { provide: AIGW_LOGGER, useValue: deps.logger },
        { provide: AIGW_REQUEST_LOG, useValue: deps.requestLog ?? new RequestLog() },
        { provide: AIGW_FETCH, useValue: deps.fetch ?? ((url: string, init: RequestInit) => fetch(url, init)) },
        { provide: AIGW_CLOCK, useValue: deps.clock ?? Date.now },
        ...(controlEnabled ? [{ provide: HARNESS_CONTROL_TOKEN, useValue: config.HARNESS_CONTROL_TOKEN }, HarnessControlGuard] : []),
        LenientBodyParsing,
        ...errorHandlingProviders(gatewayErrorShape, AIGW_LOGGER),
      ],
      exports: [
        AIGW_CONFIG,
        AIGW_LOGGER,
        AIGW_REQUEST_LOG,
        AIGW_FETCH,
        AIGW_CLOCK,
        ...(controlEnabled ? [HARNESS_CONTROL_TOKEN, HarnessControlGuard] : []),
      ],
    };
  }
}
