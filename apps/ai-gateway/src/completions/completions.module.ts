import { Module } from '@nestjs/common';
import type { AiGatewayConfig } from '../config.js';
import { APP_CONFIG } from '#common';
import { AIGW_MODEL_POST } from '../di.js';
import { CompletionsController } from './completions.controller.js';
import { CompletionsService } from './completions.service.js';
import { ModelClient, type ModelPost } from './model-client.js';

@Module({
  controllers: [CompletionsController],
  providers: [
    {
      provide: ModelClient,
      inject: [APP_CONFIG, AIGW_MODEL_POST],
      useFactory: (config: AiGatewayConfig, post: ModelPost) =>
        new ModelClient({
          baseUrl: config.modelUrl,
          timeoutMs: config.modelTimeoutMs,
          maxResponseBytes: config.modelMaxResponseBytes,
          post,
        }),
    },
    CompletionsService,
  ],
})
export class CompletionsModule {}
