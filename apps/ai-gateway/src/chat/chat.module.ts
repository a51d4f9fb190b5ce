import { Module } from '@nestjs/common';
import { APP_CONFIG } from '#common';
import type { AiGatewayConfig } from '../config.js';
import { AIGW_MODEL_FETCH, type FetchFn } from '../di.js';
import { ChatController } from './chat.controller.js';
import { ChatModelClient } from './chat-model-client.js';

/** Duo Chat: POST /v1/chat/agent, streamed from the model's chat endpoint under the completions' bounds. */
@Module({
  controllers: [ChatController],
  providers: [
    {
      provide: ChatModelClient,
      inject: [APP_CONFIG, AIGW_MODEL_FETCH],
      useFactory: (config: AiGatewayConfig, fetch: FetchFn) =>
        new ChatModelClient({
          baseUrl: config.modelUrl,
          timeoutMs: config.modelTimeoutMs,
          maxResponseBytes: config.modelMaxResponseBytes,
          fetch,
        }),
    },
  ],
})
export class ChatModule {}
