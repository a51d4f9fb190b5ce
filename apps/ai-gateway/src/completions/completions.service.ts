import { Inject, Injectable } from '@nestjs/common';
import type { CompletionsRequest, CompletionsResponse } from '#contracts';
import { languageOf } from './languages.js';
import { ModelClient, type Cancellation } from './model-client.js';

/** The engine name reported in `model.engine`: the harness's fake model. */
export const MODEL_ENGINE = 'fake';

@Injectable()
export class CompletionsService {
  constructor(@Inject(ModelClient) private readonly model: ModelClient) {}

  async complete(request: CompletionsRequest, cancelled?: Cancellation): Promise<CompletionsResponse> {
    const file = request.current_file;
    const lang = languageOf(file.file_name, file.language_identifier);
    const answer = await this.model.complete(
      {
        prompt: file.content_above_cursor,
        suffix: file.content_below_cursor ?? '',
        ...(lang ? { language: lang } : {}),
        ...(request.model_name ? { model: request.model_name } : {}),
      },
      cancelled,
    );
    return {
      id: answer.id,
      model: { engine: MODEL_ENGINE, name: answer.model, lang },
      object: 'text_completion',
      created: answer.created,
      choices: answer.choices.map((c) => ({ text: c.text, index: c.index, finish_reason: c.finish_reason })),
    };
  }
}
