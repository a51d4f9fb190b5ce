import { Module } from '@nestjs/common';
import type { AiGatewayConfig } from '../config.js';
import { APP_CONFIG } from '#common';
import { AIGW_MODEL_FETCH, type FetchFn } from '../di.js';
import { CompletionsController } from './completions.controller.js';
import { CompletionsService } from './completions.service.js';
import { ModelClient } from './model-client.js';

@Module({
  controllers: [CompletionsController],
  providers: [
    {
      provide: ModelClient,
      inject: [APP_CONFIG, AIGW_MODEL_FETCH],
      useFactory: (config: AiGatewayConfig, fetch: FetchFn) =>
        new ModelClient({
          baseUrl: config.modelUrl,
          timeoutMs: config.modelTimeoutMs,
          maxResponseBytes: config.modelMaxResponseBytes,
          fetch,
        }),
    },
    CompletionsService,
  ],
})
export class CompletionsModule {}
