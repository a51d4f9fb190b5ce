/**
 * The part of @rails/actioncable (the ActionCable JavaScript client, which ships no types) the
 * tests drive: consumers, subscriptions with their callbacks, and the WebSocket adapter.
 */
declare module '@rails/actioncable' {
  export interface Mixin {
    connected?(details: { reconnected: boolean }): void;
    disconnected?(details: { willAttemptReconnect: boolean }): void;
    rejected?(): void;
    received?(data: unknown): void;
    initialized?(): void;
  }
  export interface Subscription {
    identifier: string;
    unsubscribe(): void;
    perform(action: string, data?: Record<string, unknown>): boolean;
  }
  export interface Consumer {
    url: string;
    subscriptions: { create(params: string | Record<string, unknown>, mixin?: Mixin): Subscription };
    connect(): boolean;
    disconnect(): void;
    connection: { webSocket?: { protocol: string } };
  }
  export function createConsumer(url: string): Consumer;
  export const adapters: { WebSocket: unknown; logger: unknown };
  export const logger: { enabled: boolean };
  const ActionCable: { createConsumer: typeof createConsumer; adapters: typeof adapters; logger: typeof logger };
  export default ActionCable;
}
