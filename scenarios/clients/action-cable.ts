/**
 * A small ActionCable client of our own on `ws`, for the checks: they must control what they
 * send (which token, which subscription parameters) and see every frame that comes back. The
 * protocol is Rails ActionCable's `actioncable-v1-json` (actioncable/lib/action_cable.rb
 * INTERNAL: message types welcome, disconnect, ping, confirm_subscription,
 * reject_subscription), as GitLab serves it at /-/cable with the channel `GraphqlChannel`
 * whose params are `query`, `variables`, `operationName` (app/channels/graphql_channel.rb;
 * GitLab's ActionCableLink puts them in the subscription identifier). A client we did not
 * write (@rails/actioncable) is exercised by another test; this one is for verdicts.
 *
 * Nothing here logs: frames hold no credential (the token travels only on the upgrade request).
 */
import { CABLE_COMMAND, CABLE_MESSAGE_TYPE, CABLE_PATH, CABLE_PROTOCOLS, GRAPHQL_CHANNEL } from '#contracts';
import { WebSocket } from 'ws';

/** One frame from the server, as parsed JSON (ActionCable's shapes; anything else is kept as is). */
export interface CableFrame {
  type?: string;
  identifier?: string;
  message?: unknown;
  reason?: string;
  reconnect?: boolean;
}

/** Why a connection ended before ActionCable welcomed it. */
export interface CableRefusal {
  kind: 'refused';
  /** The HTTP status of a refused upgrade (401, 403, 404...), when the server answered one. */
  status?: number;
  /** A `disconnect` frame's reason (`unauthorized`), when ActionCable sent one. */
  reason?: string;
  /** A transport error or close code, for the message. */
  detail: string;
}

export type SubscriptionOutcome = 'confirmed' | 'rejected' | 'disconnected' | 'no-answer';

/** The GraphqlChannel subscription parameters (GraphQL over ActionCable, GitLab's shape). */
export interface GraphqlChannelParams {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

export interface CableOpenOptions {
  /** Headers of the upgrade request (Authorization: Bearer <token>, Cookie). */
  headers?: Record<string, string>;
  /** How long to wait for the upgrade and the welcome frame. */
  timeoutMs: number;
}

/** ws://host/-/cable from an http(s) base URL. */
export function cableUrl(baseUrl: string): string {
  const url = new URL(CABLE_PATH, baseUrl.replace(/\/+$/, '') + '/');
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

/** A GraphqlChannel subscription: its outcome, and the messages it has received so far. */
export class CableSubscription {
  readonly messages: unknown[] = [];
  private waiters: Array<() => void> = [];

  constructor(
    readonly identifier: string,
    public outcome: SubscriptionOutcome,
  ) {}

  /** @internal the connection hands each message of this identifier here. */
  push(message: unknown): void {
    this.messages.push(message);
    this.notify();
  }

  /** @internal */
  notify(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w();
  }

  /**
   * Waits until `done(messages)` holds, or `timeoutMs` passes; resolves true when it held.
   * Never rejects, so a check can describe what it saw instead.
   */
  async waitFor(done: (messages: readonly unknown[]) => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.messages)) {
      const left = deadline - Date.now();
      if (left <= 0 || this.outcome === 'disconnected') return done(this.messages);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return true;
  }
}

/** An open, welcomed ActionCable connection. */
export class CableConnection {
  /** Every frame received except pings, in order (for failure messages). */
  readonly frames: CableFrame[] = [];
  private readonly subscriptions = new Map<string, CableSubscription>();
  private readonly answered = new Map<string, (outcome: SubscriptionOutcome) => void>();
  private closed = false;

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (raw) => this.onFrame(String(raw)));
    socket.on('close', () => {
      this.closed = true;
      for (const [id, answer] of this.answered) {
        answer('disconnected');
        this.answered.delete(id);
      }
      for (const s of this.subscriptions.values()) {
        if (s.outcome === 'confirmed') s.outcome = 'disconnected';
        s.notify();
      }
    });
  }

  /**
   * Opens a connection to `baseUrl`'s /-/cable and waits for ActionCable's welcome. Resolves
   * with the connection, or with why it was refused (HTTP status of the upgrade, a disconnect
   * frame, a close); never rejects for what the server does.
   */
  static open(baseUrl: string, options: CableOpenOptions): Promise<CableConnection | CableRefusal> {
    return new Promise((resolve) => {
      const socket = new WebSocket(cableUrl(baseUrl), [...CABLE_PROTOCOLS], { headers: options.headers ?? {}, handshakeTimeout: options.timeoutMs });
      let settled = false;
      const settle = (value: CableConnection | CableRefusal) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if ('kind' in value) socket.terminate();
        resolve(value);
      };
      const timer = setTimeout(() => settle({ kind: 'refused', detail: `no welcome within ${options.timeoutMs} ms` }), options.timeoutMs);
      socket.on('unexpected-response', (_req, res) => settle({ kind: 'refused', status: res.statusCode, detail: `the upgrade was answered HTTP ${res.statusCode}` }));
      socket.on('error', (e) => settle({ kind: 'refused', detail: e.message }));
      socket.on('close', (code) => settle({ kind: 'refused', detail: `closed (code ${code}) before a welcome` }));
      socket.once('open', () => {
        const onEarly = (raw: unknown) => {
          const frame = parseFrame(String(raw));
          if (frame.type === CABLE_MESSAGE_TYPE.WELCOME) {
            socket.off('message', onEarly);
            const connection = new CableConnection(socket);
            connection.frames.push(frame);
            settle(connection);
          } else if (frame.type === CABLE_MESSAGE_TYPE.DISCONNECT) {
            settle({ kind: 'refused', ...(frame.reason ? { reason: frame.reason } : {}), detail: `disconnect (${frame.reason ?? 'no reason'}) before a welcome` });
          }
        };
        socket.on('message', onEarly);
      });
    });
  }

  /**
   * Subscribes to GraphqlChannel with these params and waits (up to `timeoutMs`) for
   * confirm_subscription or reject_subscription. A message that arrives first (GitLab's channel
   * transmits the first result, errors included, before confirming) is kept on the subscription.
   */
  async subscribe(params: GraphqlChannelParams, timeoutMs: number): Promise<CableSubscription> {
    const identifier = JSON.stringify({
      channel: GRAPHQL_CHANNEL,
      query: params.query,
      variables: params.variables ?? {},
      operationName: params.operationName ?? null,
      nonce: `${Date.now()}-${Math.random().toString(16).slice(2)}`,
    });
    const subscription = new CableSubscription(identifier, 'no-answer');
    this.subscriptions.set(identifier, subscription);
    if (this.closed) {
      subscription.outcome = 'disconnected';
      return subscription;
    }
    const outcome = new Promise<SubscriptionOutcome>((resolve) => {
      const timer = setTimeout(() => {
        this.answered.delete(identifier);
        resolve('no-answer');
      }, timeoutMs);
      this.answered.set(identifier, (o) => {
        clearTimeout(timer);
        resolve(o);
      });
    });
    this.socket.send(JSON.stringify({ command: CABLE_COMMAND.SUBSCRIBE, identifier }));
    subscription.outcome = await outcome;
    return subscription;
  }

  close(): void {
    if (!this.closed) this.socket.close();
    this.closed = true;
  }

  private onFrame(raw: string): void {
    const frame = parseFrame(raw);
    if (frame.type === CABLE_MESSAGE_TYPE.PING) return;
    this.frames.push(frame);
    if (frame.type === CABLE_MESSAGE_TYPE.DISCONNECT) {
      this.socket.close();
      return;
    }
    const id = frame.identifier;
    if (id === undefined) return;
    if (frame.type === CABLE_MESSAGE_TYPE.CONFIRMATION || frame.type === CABLE_MESSAGE_TYPE.REJECTION) {
      const answer = this.answered.get(id);
      this.answered.delete(id);
      answer?.(frame.type === CABLE_MESSAGE_TYPE.CONFIRMATION ? 'confirmed' : 'rejected');
      return;
    }
    if (frame.message !== undefined) this.subscriptions.get(id)?.push(frame.message);
  }
}

function parseFrame(raw: string): CableFrame {
  try {
    const parsed = JSON.parse(raw) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as CableFrame) : { message: parsed };
  } catch {
    return { message: raw };
  }
}

/** Whether `open` was refused. */
export function isRefusal(value: CableConnection | CableRefusal): value is CableRefusal {
  return 'kind' in value;
}
