import { Global, Module } from '@nestjs/common';
import { AiAccessModule } from '../ai-access/ai-access.module.js';
import { AiChat } from '../graphql/ai-chat.port.js';
import { AiChatClient } from './ai-chat.client.js';

/**
 * Duo Chat's client of the AI gateway (POST <AI_GATEWAY_URL>/v1/chat/agent). Global, and
 * provided as the GraphQL module's AiChat port too, so aiAction(chat) answers through the gateway
 * once this module is imported, without the GraphQL module knowing this one.
 */
@Global()
@Module({
  imports: [AiAccessModule],
  providers: [AiChatClient, { provide: AiChat, useExisting: AiChatClient }],
  exports: [AiChatClient, AiChat],
})
export class AiChatModule {}
