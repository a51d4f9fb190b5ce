import ActionCable, { type Consumer, type Mixin, type Subscription } from '@rails/actioncable';
import WebSocket from 'ws';
import { CABLE_PROTOCOLS } from '#contracts';

/**
 * Clients of /-/cable for the tests: Rails' own ActionCable client (@rails/actioncable, which we
 * did not write) running in Node, and a raw `ws` socket that records every frame.
 */

// The ActionCable client watches page visibility; Node has no window, so these are no-ops.
const g = globalThis as Record<string, unknown>;
g.addEventListener ??= () => undefined;
g.removeEventListener ??= () => undefined;

/** Headers the next ActionCable WebSocket sends (the client itself cannot set any). */
let nextHeaders: Record<string, string> = {};

/**
 * The client's WebSocket adapter: `ws` with the headers an IDE sends on the upgrade, as GitLab's
 * language server does (`createCable(url, {websocketImplementation: WebSocket, websocketOptions:
 * {headers: {Authorization: 'Bearer <token>', Origin: <instance URL>}}})`).
 */
class HeaderWebSocket extends WebSocket {
  constructor(address: string, protocols?: string | string[]) {
    super(address, protocols, { headers: nextHeaders });
  }
}
ActionCable.adapters.WebSocket = HeaderWebSocket;

/** An ActionCable consumer of `cableUrl` whose upgrade carries `headers`. */
export function railsConsumer(cableUrl: string, headers: Record<string, string>): Consumer {
  nextHeaders = headers;
  return ActionCable.createConsumer(cableUrl);
}

/** What one subscription of the Rails client saw, in order. */
export interface SubscriptionEvents {
  events: Array<{ kind: 'connected' | 'rejected' | 'disconnected' | 'received'; data?: unknown }>;
  subscription: Subscription;
  /** Resolves once `predicate` holds for the events so far (checked on every event). */
  until(predicate: (events: SubscriptionEvents['events']) => boolean): Promise<void>;
}

/** Subscribes `consumer` with `params` and records its callbacks. */
export function subscribe(consumer: Consumer, params: Record<string, unknown>): SubscriptionEvents {
  const events: SubscriptionEvents['events'] = [];
  const waiters: Array<{ predicate: (e: typeof events) => boolean; resolve: () => void }> = [];
  const record = (kind: SubscriptionEvents['events'][number]['kind'], data?: unknown) => {
    events.push(data === undefined ? { kind } : { kind, data });
    for (const w of [...waiters]) {
      if (w.predicate(events)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  const mixin: Mixin = {
    connected: () => record('connected'),
    rejected: () => record('rejected'),
    disconnected: (d) => record('disconnected', d),
    received: (data) => record('received', data),
  };
  const subscription = consumer.subscriptions.create(params, mixin);
  return {
    events,
    subscription,
    until: (predicate) =>
      predicate(events) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ predicate, resolve })),
  };
}

/** A raw WebSocket to /-/cable that keeps every frame (parsed) and how it closed. */
export interface RawCable {
  socket: WebSocket;
  frames: Array<Record<string, unknown>>;
  /** The HTTP status when the upgrade was refused. */
  refusedWith?: { status: number; body: string };
  closed?: { code: number };
  /** Resolves with the first frame after `from` that `predicate` accepts. */
  next(predicate: (f: Record<string, unknown>) => boolean, from?: number): Promise<Record<string, unknown>>;
  /** Resolves once the socket closed (or the upgrade was refused). */
  ended: Promise<void>;
  send(value: unknown): void;
}

/** `autoPong: false` makes a peer that never answers WebSocket pings. */
export function rawCable(
  cableUrl: string,
  headers: Record<string, string>,
  protocols: string[] = [...CABLE_PROTOCOLS],
  options: { autoPong?: boolean } = {},
): RawCable {
  const socket = new WebSocket(cableUrl, protocols, { headers, ...options });
  const frames: RawCable['frames'] = [];
  const listeners = new Set<() => void>();
  const raw: RawCable = {
    socket,
    frames,
    ended: undefined as unknown as Promise<void>,
    next(predicate, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = frames.slice(from).find(predicate);
          if (found) {
            listeners.delete(check);
            resolve(found);
          } else if (raw.closed || raw.refusedWith) {
            listeners.delete(check);
            reject(new Error(`no such frame; got ${JSON.stringify(frames)}`));
          }
        };
        listeners.add(check);
        check();
      });
    },
    send: (value) => socket.send(typeof value === 'string' ? value : JSON.stringify(value)),
  };
  raw.ended = new Promise<void>((resolve) => {
    socket.on('message', (data) => {
      frames.push(JSON.parse(data.toString()) as Record<string, unknown>);
      listeners.forEach((l) => l());
    });
    socket.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        raw.refusedWith = { status: res.statusCode ?? 0, body };
        listeners.forEach((l) => l());
        resolve();
      });
    });
    socket.on('error', () => undefined);
    socket.on('close', (code) => {
      raw.closed = { code };
      listeners.forEach((l) => l());
      resolve();
    });
  });
  return raw;
}

/** The subscription an IDE opens for Duo Chat answers (GitLab's aiCompletionResponse, seed 004). */
export const AI_COMPLETION_SUBSCRIPTION = `subscription aiCompletionResponse($userId: UserID, $clientSubscriptionId: String, $aiAction: AiAction) {
  aiCompletionResponse(userId: $userId, aiAction: $aiAction, clientSubscriptionId: $clientSubscriptionId) {
    requestId content chunkId role errors
  }
}`;

/** One AiMessage of AI_COMPLETION_SUBSCRIPTION: a chunk (chunkId 1, 2, ...) or the final message (chunkId null). */
export interface AiCompletion {
  requestId: string;
  content: string | null;
  chunkId: number | null;
  role: string;
  errors: string[];
}

/** The AiMessages a subscription received so far, in order. */
export function completionsOf(sub: SubscriptionEvents): AiCompletion[] {
  return sub.events
    .filter((x) => x.kind === 'received')
    .map((x) => (x.data as { result?: { data?: { aiCompletionResponse?: AiCompletion } } }).result?.data?.aiCompletionResponse)
    .filter((c): c is AiCompletion => Boolean(c));
}
