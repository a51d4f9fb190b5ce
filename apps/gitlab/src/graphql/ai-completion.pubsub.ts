import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { AiMessageObject } from './types/ai.types.js';

/** The arguments an aiCompletionResponse event is triggered with (and a subscription listens to). */
export interface AiCompletionTopic {
  /** gid://gitlab/User/<id> */
  userId: string;
  aiAction: string;
  clientSubscriptionId?: string | null;
}

/**
 * The topic key: graphql-ruby delivers a trigger to the subscriptions whose arguments equal the
 * trigger's (GraphqlTriggers.ai_completion_response passes user_id and ai_action, plus
 * client_subscription_id when the request had one), so an absent clientSubscriptionId is part
 * of the key too.
 */
export function topicKey(topic: AiCompletionTopic): string {
  return JSON.stringify([topic.userId, topic.aiAction, topic.clientSubscriptionId ?? null]);
}

interface Listener {
  push(message: AiMessageObject): void;
  end(): void;
}

/**
 * The app's in-process publish/subscribe of aiCompletionResponse events. A subscription is an
 * async iterator that buffers what arrives before it is read and ends when returned (the
 * client unsubscribed) or when the app stops.
 */
@Injectable()
export class AiCompletionPubSub implements OnModuleDestroy {
  private readonly listeners = new Map<string, Set<Listener>>();

  publish(topic: AiCompletionTopic, message: AiMessageObject): void {
    for (const listener of this.listeners.get(topicKey(topic)) ?? []) listener.push(message);
  }

  /** Number of open subscriptions to `topic` (tests and logs). */
  subscriberCount(topic: AiCompletionTopic): number {
    return this.listeners.get(topicKey(topic))?.size ?? 0;
  }

  subscribe(topic: AiCompletionTopic): AsyncIterableIterator<AiMessageObject> {
    const key = topicKey(topic);
    const buffered: AiMessageObject[] = [];
    const waiting: ((result: IteratorResult<AiMessageObject>) => void)[] = [];
    let done = false;
    const listener: Listener = {
      push: (message) => {
        const next = waiting.shift();
        if (next) next({ value: message, done: false });
        else buffered.push(message);
      },
      end: () => {
        done = true;
        this.listeners.get(key)?.delete(listener);
        if (this.listeners.get(key)?.size === 0) this.listeners.delete(key);
        for (const next of waiting.splice(0)) next({ value: undefined, done: true });
      },
    };
    let set = this.listeners.get(key);
    if (!set) this.listeners.set(key, (set = new Set()));
    set.add(listener);

    const iterator: AsyncIterableIterator<AiMessageObject> = {
      next: () => {
        const message = buffered.shift();
        if (message) return Promise.resolve({ value: message, done: false });
        if (done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => waiting.push(resolve));
      },
      return: () => {
        listener.end();
        return Promise.resolve({ value: undefined, done: true });
      },
      throw: (error?: unknown) => {
        listener.end();
        return Promise.reject(error);
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  onModuleDestroy(): void {
    for (const set of [...this.listeners.values()]) for (const listener of [...set]) listener.end();
  }
}
