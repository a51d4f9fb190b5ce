import { Module } from '@nestjs/common';
import { FaultsModule } from '../faults/faults.module.js';
import { ChatController } from './chat.controller.js';

/** POST /v1/chat/completions: the streamed, deterministic chat answer. */
@Module({
  imports: [FaultsModule],
  controllers: [ChatController],
})
export class ChatModule {}
