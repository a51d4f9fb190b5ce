import { type DynamicModule, Module } from '@nestjs/common';
import {
  errorHandlingProviders,
  HARNESS_CONTROL_TOKEN,
  HarnessControlGuard,
  RequestLog,
  type Logger,
} from '../../common/src/index.js';
import { CompletionsModule } from './completions/completions.module.js';
import type { FakeModelConfig } from './config.js';
import { ControlModule } from './control/control.module.js';
import { HealthModule } from './health/health.module.js';
import { FAKE_MODEL_CONFIG, FAKE_MODEL_LOGGER, FAKE_MODEL_REQUEST_LOG } from './tokens.js';

export interface FakeModelDeps {
  logger: Logger;
  /** Shared with startHttpApp, which records answered requests into it. */
  requestLog?: RequestLog;
}

/** The fake model's error body: `{"error": "<reason>"}`. */
export const fakeModelErrorShape = (_status: number, reason: string) => ({ error: reason });

/** The fake model's root module, built from a config object (tests need no environment). */
@Module({})
export class FakeModelModule {
  static forRoot(config: FakeModelConfig, deps: FakeModelDeps): DynamicModule {
    const controlEnabled = config.HARNESS_CONTROL_TOKEN !== undefined;
    return {
      module: FakeModelModule,
      global: true,
      imports: [HealthModule, CompletionsModule, ...(controlEnabled ? [ControlModule] : [])],
      providers: [
        { provide: FAKE_MODEL_CONFIG, useValue: config },
        { provide: FAKE_MODEL_LOGGER, useValue: deps.logger },
        { provide: FAKE_MODEL_REQUEST_LOG, useValue: deps.requestLog ?? new RequestLog() },
        ...(controlEnabled ? [{ provide: HARNESS_CONTROL_TOKEN, useValue: config.HARNESS_CONTROL_TOKEN }, HarnessControlGuard] : []),
        ...errorHandlingProviders(fakeModelErrorShape, FAKE_MODEL_LOGGER),
      ],
      exports: [FAKE_MODEL_CONFIG, FAKE_MODEL_LOGGER, FAKE_MODEL_REQUEST_LOG, ...(controlEnabled ? [HARNESS_CONTROL_TOKEN, HarnessControlGuard] : [])],
    };
  }
}
