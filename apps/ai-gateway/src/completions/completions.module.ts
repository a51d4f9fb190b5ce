import { Module } from '@nestjs/common';
import type { AiGatewayConfig } from '../config.js';
import { AIGW_CONFIG, AIGW_FETCH, type FetchFn } from '../tokens.js';
import { CompletionsController } from './completions.controller.js';
import { CompletionsService } from './completions.service.js';
import { ModelClient } from './model-client.js';

@Module({
  controllers: [CompletionsController],
  providers: [
    {
      provide: ModelClient,
      inject: [AIGW_CONFIG, AIGW_FETCH],
      useFactory: (config: AiGatewayConfig, fetch: FetchFn) =>
        new ModelClient({
          baseUrl: config.AIGW_MODEL_URL,
          timeoutMs: config.AIGW_MODEL_TIMEOUT_MS,
          maxResponseBytes: config.AIGW_MODEL_MAX_RESPONSE_BYTES,
          fetch,
        }),
    },
    CompletionsService,
  ],
})
export class CompletionsModule {}
