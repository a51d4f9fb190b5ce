import { Module } from '@nestjs/common';
import { FaultsModule } from '../faults/faults.module.js';
import { CompletionsController } from './completions.controller.js';
import { CompletionsService } from './completions.service.js';

@Module({
  imports: [FaultsModule],
  controllers: [CompletionsController],
  providers: [CompletionsService],
})
export class CompletionsModule {}
