import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { FakeModelRequest, FakeModelResponse } from '#contracts';
import { generateCompletion } from './completion-generator.js';

export const FAKE_MODEL_NAME = 'fake-code-model';

@Injectable()
export class CompletionsService {
  complete(request: FakeModelRequest): FakeModelResponse {
    const completion = generateCompletion({
      prompt: request.prompt,
      suffix: request.suffix,
      language: request.language,
      maxTokens: request.max_tokens,
    });
    return {
      id: `cmpl-${randomUUID()}`,
      model: FAKE_MODEL_NAME,
      created: Math.floor(Date.now() / 1000),
      choices: [{ text: completion.text, index: 0, finish_reason: completion.finishReason }],
    };
  }
}
