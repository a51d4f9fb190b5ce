import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy, Optional } from '@nestjs/common';
import { APP_LOGGER, type Logger } from '#common';
import type { GitlabUser } from '../identity/identity.service.js';
import { CLOCK, type Clock } from '../instance/di.js';
import { AiChat } from './ai-chat.port.js';
import { type AiCompletionTopic, AiCompletionPubSub } from './ai-completion.pubsub.js';
import { AiAction, type AiMessageObject, AiMessageRole } from './types/ai.types.js';
import { userGlobalId } from './types/scalars.js';

/** The answer when this app has no chat path wired (no AiChat provider). */
export const CHAT_UNAVAILABLE = 'Duo Chat is not available on this instance.';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * Runs a chat question in the background and publishes its answer as aiCompletionResponse
 * events, as GitLab's CompletionWorker and ResponseService do: every chunk (chunkId 1, 2, ...)
 * then the full message (chunkId null), or one message with `errors` when the chat path fails.
 * Chunks go to the subscription of the request's clientSubscriptionId (or, without one, to the
 * user's chat subscription); the final message to both (GraphqlTriggers.ai_completion_response
 * is called with and without client_subscription_id).
 */
@Injectable()
export class AiChatRunner implements OnModuleDestroy {
  private readonly running = new Set<AbortController>();

  constructor(
    @Inject(AiCompletionPubSub) private readonly pubsub: AiCompletionPubSub,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_LOGGER) private readonly logger: Logger,
    @Optional() @Inject(AiChat) private readonly chat?: AiChat,
  ) {}

  /** Starts answering `content` for `user`; returns the requestId at once. */
  start(user: GitlabUser, content: string, clientSubscriptionId: string | null | undefined): string {
    const requestId = randomUUID();
    const abort = new AbortController();
    this.running.add(abort);
    void this.answer(user, content, requestId, clientSubscriptionId ?? null, abort.signal).finally(() => this.running.delete(abort));
    return requestId;
  }

  private async answer(user: GitlabUser, content: string, requestId: string, clientSubscriptionId: string | null, signal: AbortSignal): Promise<void> {
    const userTopic: AiCompletionTopic = { userId: userGlobalId(user.id), aiAction: AiAction.CHAT };
    const streamTopic: AiCompletionTopic = clientSubscriptionId ? { ...userTopic, clientSubscriptionId } : userTopic;
    const message = (fields: Partial<AiMessageObject>): AiMessageObject => ({
      id: null,
      requestId,
      content: null,
      contentHtml: null,
      role: AiMessageRole.ASSISTANT,
      timestamp: new Date(this.clock.now()).toISOString(),
      chunkId: null,
      errors: [],
      type: null,
      ...fields,
    });
    const final = (m: AiMessageObject) => {
      this.pubsub.publish(streamTopic, m);
      if (streamTopic !== userTopic) this.pubsub.publish(userTopic, m);
    };
    // Let the mutation's answer (the requestId) leave before the first event.
    await new Promise((resolve) => setImmediate(resolve));
    if (!this.chat) {
      final(message({ id: randomUUID(), errors: [CHAT_UNAVAILABLE] }));
      return;
    }
    let text = '';
    let chunkId = 0;
    try {
      for await (const chunk of this.chat.stream({ user, content, requestId }, signal)) {
        if (signal.aborted) return;
        text += chunk;
        this.pubsub.publish(streamTopic, message({ content: chunk, chunkId: ++chunkId }));
      }
      final(message({ id: randomUUID(), content: text, contentHtml: `<p>${escapeHtml(text)}</p>` }));
    } catch (e) {
      if (signal.aborted) return;
      const reason = e instanceof Error && e.message ? e.message : CHAT_UNAVAILABLE;
      this.logger.warn({ requestId, reason }, 'chat answer failed');
      final(message({ id: randomUUID(), errors: [reason] }));
    }
  }

  onModuleDestroy(): void {
    for (const abort of this.running) abort.abort();
  }
}
