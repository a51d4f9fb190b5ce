import type { ChatMessage, ChatRequest, FakeModelChatRequest } from '#contracts';

/**
 * The model call for a chat request: the payload's content as the chat (a plain prompt string
 * becomes one user message, as ai_gateway hands a string to its text model and a list to its
 * chat model: api/v1/chat/agent.py L146-155 @823ced4678f5), `max_tokens_to_sample` as
 * `max_tokens` (the rename at L157-159). The requested provider and model are not the fake
 * model's business and are not passed on.
 */
export function modelChatRequest(request: ChatRequest): FakeModelChatRequest {
  const { content, params } = request.prompt_components[0].payload;
  const messages: ChatMessage[] = typeof content === 'string' ? [{ role: 'user', content }] : content.map(({ role, content }) => ({ role, content }));
  const maxTokens = params?.max_tokens_to_sample;
  return maxTokens === undefined ? { messages } : { messages, max_tokens: maxTokens };
}
