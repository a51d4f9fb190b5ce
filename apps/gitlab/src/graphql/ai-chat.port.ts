import type { GitlabUser } from '../identity/identity.service.js';

/** One chat question, as aiAction(chat) starts it. */
export interface AiChatRequest {
  user: GitlabUser;
  content: string;
  /** The aiAction's requestId, shared by the question and every chunk of its answer. */
  requestId: string;
}

/**
 * What aiAction(chat) needs from the chat path (GitLab -> AI gateway -> model): the answer text
 * in chunks. Throws (or the iterator rejects) with an Error whose message is safe to show the
 * user. Implemented by apps/gitlab/src/ai-chat (AiChatClient) and provided to this module.
 */
export abstract class AiChat {
  abstract stream(request: AiChatRequest, signal?: AbortSignal): AsyncIterable<string>;
}
