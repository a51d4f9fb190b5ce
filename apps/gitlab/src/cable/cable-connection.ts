import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { WebSocket } from 'ws';
import {
  CABLE_COMMAND,
  CABLE_DISCONNECT_REASON,
  type CableCommand,
  type CableDisconnectReason,
  type CableServerFrame,
  type GraphqlChannelMessage,
  GRAPHQL_CHANNEL,
  GRAPHQL_CHANNEL_SCOPES,
} from '#contracts';
import type { Actor } from '../auth/actor.js';
import type { CredentialRequest } from '../auth/credentials.js';
import type { GraphqlSubscriptions } from '../graphql/graphql-subscriptions.port.js';
import type { CableAuthenticator } from './cable-authenticator.js';
import {
  confirmFrame,
  decodeCommand,
  disconnectFrame,
  identifierParams,
  messageFrame,
  pingFrame,
  rejectFrame,
  welcomeFrame,
} from './cable-frames.js';
import type { CableLimits } from './cable-limits.js';
import { GraphqlChannelSubscription } from './graphql-channel.js';

/** Frames kept while the connection authenticates; more are dropped (a client waits for the welcome). */
const MAX_PENDING_FRAMES = 16;

/** What a connection works with; one set per server. */
export interface CableConnectionDeps {
  authenticator: CableAuthenticator;
  /** Undefined while the app provides no GraphQL subscriptions: GraphqlChannel subscriptions are then rejected. */
  graphql: GraphqlSubscriptions | undefined;
  limits: CableLimits;
  logger: Logger;
  /** The instance clock (ms since the epoch): the `ping` frames' time. Liveness uses a monotonic clock instead. */
  now(): number;
}

/**
 * One Action Cable connection (rails/rails v8.0.5 actioncable/lib/action_cable/connection/
 * base.rb, connection/subscriptions.rb), over an upgraded `ws` socket:
 *
 * - open (`handle_open`, base.rb L199): authenticate (CableAuthenticator.connect); refused ->
 *   `{"type":"disconnect","reason":"unauthorized","reconnect":false}` and close
 *   (`reject_unauthorized_connection`, base.rb L120 `close`); accepted -> `{"type":"welcome"}`,
 *   then the frames that arrived meanwhile (MessageBuffer).
 * - commands (subscriptions.rb `execute_command`): `subscribe` adds a subscription once per
 *   identifier (a repeated identifier is ignored, L37), `unsubscribe` ends one, `message`
 *   performs a channel action (GraphqlChannel has none: logged). A frame that is not a command is
 *   logged and dropped, the connection stays (Rails logs the exception). Binary frames too
 *   (message_buffer.rb `valid?`).
 * - beats: `{"type":"ping","message":<epoch s>}` (base.rb L147), plus a WebSocket ping; a peer
 *   silent for `deadPeerTimeoutMs` is dropped.
 *
 * Deliberately not Rails': an identifier that is not JSON, names another channel or exceeds the
 * connection's subscription bound gets `reject_subscription` (Rails logs "Subscription class not
 * found" and answers nothing, and @rails/actioncable then re-sends subscribe for ever).
 * Logs carry reasons and the actor's kind, never a frame, header or token.
 */
export class CableConnection {
  private actor: Actor | undefined;
  private opened = false;
  private readonly pending: string[] = [];
  private readonly subscriptions = new Map<string, GraphqlChannelSubscription>();
  private lastSeenMs: number;

  constructor(
    private readonly socket: WebSocket,
    private readonly credentials: CredentialRequest,
    private readonly deps: CableConnectionDeps,
    onClose: (connection: CableConnection) => void,
  ) {
    this.lastSeenMs = performance.now();
    socket.on('message', (data, isBinary) => this.received(data, isBinary));
    socket.on('pong', () => {
      this.lastSeenMs = performance.now();
    });
    socket.on('error', (err) => this.deps.logger.info({ err: { name: err.name, code: (err as { code?: string }).code } }, 'cable socket error'));
    socket.on('close', () => {
      this.closed();
      onClose(this);
    });
  }

  /** Authenticates the connection and welcomes it, or refuses it as `reject_unauthorized_connection` does. */
  async open(): Promise<void> {
    const outcome = await this.deps.authenticator.connect(this.credentials);
    if (this.socket.readyState !== WebSocket.OPEN) return;
    if (outcome === 'unauthorized') {
      this.deps.logger.info('cable connection rejected: unauthorized');
      this.close(CABLE_DISCONNECT_REASON.UNAUTHORIZED, false);
      return;
    }
    this.actor = outcome;
    this.send(welcomeFrame());
    this.opened = true;
    this.deps.logger.debug({ via: outcome?.via ?? 'anonymous' }, 'cable connection opened');
    for (const text of this.pending.splice(0)) this.handle(text);
  }

  /** One beat: the ActionCable ping, and a WebSocket ping to find a dead peer. */
  beat(): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    if (performance.now() - this.lastSeenMs > this.deps.limits.deadPeerTimeoutMs) {
      this.deps.logger.info('cable connection dropped: peer silent');
      this.socket.terminate();
      return;
    }
    if (this.opened) this.send(pingFrame(this.deps.now()));
    this.socket.ping();
  }

  /** Sends `{"type":"disconnect",...}` and closes (1000); resolves once closed or the grace period is over (then the socket is destroyed). */
  close(reason: CableDisconnectReason, reconnect: boolean): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.readyState === WebSocket.CLOSED) return resolve();
      const timer = setTimeout(() => {
        this.socket.terminate();
        resolve();
      }, this.deps.limits.closeGraceMs);
      timer.unref();
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      if (this.socket.readyState === WebSocket.OPEN) {
        this.send(disconnectFrame(reason, reconnect));
        this.socket.close(1000);
      }
    });
  }

  private received(data: WebSocket.RawData, isBinary: boolean): void {
    this.lastSeenMs = performance.now();
    if (isBinary) {
      this.deps.logger.info('cable frame dropped: binary');
      return;
    }
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
    if (!this.opened) {
      // Frames before the welcome wait for it (MessageBuffer); ws bounds each one's size, this their number.
      if (this.pending.length < MAX_PENDING_FRAMES) this.pending.push(text);
      return;
    }
    this.handle(text);
  }

  private handle(text: string): void {
    const decoded = decodeCommand(text);
    if (!decoded.ok) {
      this.deps.logger.info({ problem: decoded.problem }, 'cable frame dropped');
      return;
    }
    const { command } = decoded;
    if (command.command === CABLE_COMMAND.SUBSCRIBE) void this.subscribe(command.identifier);
    else if (command.command === CABLE_COMMAND.UNSUBSCRIBE) this.unsubscribe(command);
    // GraphqlChannel has no actions (ActionCable: "Unable to process GraphqlChannel#receive").
    else this.deps.logger.info({ known: this.subscriptions.has(command.identifier) }, 'cable message dropped: the channel has no actions');
  }

  private async subscribe(identifier: string): Promise<void> {
    if (this.subscriptions.has(identifier)) return;
    const params = identifierParams(identifier);
    if (!params || params.channel !== GRAPHQL_CHANNEL) {
      this.deps.logger.info({ problem: params ? 'unknown channel' : 'identifier is not a JSON object with a channel' }, 'cable subscription rejected');
      this.send(rejectFrame(identifier));
      return;
    }
    if (this.subscriptions.size >= this.deps.limits.maxSubscriptionsPerConnection) {
      this.deps.logger.info({ limit: this.deps.limits.maxSubscriptionsPerConnection }, 'cable subscription rejected: too many subscriptions');
      this.send(rejectFrame(identifier));
      return;
    }
    const graphql = this.deps.graphql;
    if (!graphql) {
      this.deps.logger.warn('cable subscription rejected: no GraphQL subscriptions in this app');
      this.send(rejectFrame(identifier));
      return;
    }
    const transport = {
      transmit: (message: GraphqlChannelMessage) => {
        if (this.subscriptions.get(identifier) === subscription) this.send(messageFrame(identifier, message));
      },
      confirm: () => {
        if (this.subscriptions.get(identifier) === subscription) this.send(confirmFrame(identifier));
      },
      reject: () => this.reject(identifier, subscription),
    };
    const subscription = new GraphqlChannelSubscription(params, transport, graphql, this.deps.logger);
    this.subscriptions.set(identifier, subscription);
    // before_subscribe :validate_token_scope (application_cable/channel.rb): the token again, now, with the channel's scopes.
    const check = await this.deps.authenticator.subscribe(this.credentials, GRAPHQL_CHANNEL_SCOPES);
    if (this.subscriptions.get(identifier) !== subscription) return;
    if (!check.ok) {
      this.deps.logger.info('cable subscription rejected: token refused or without the channel\'s scopes');
      this.reject(identifier, subscription);
      return;
    }
    try {
      await subscription.subscribed(check.actor ?? this.actor);
    } catch (e) {
      // The port promises not to throw; if it does, the client learns the subscription is gone.
      this.deps.logger.error({ err: { name: (e as Error).name } }, 'GraphqlChannel subscription failed');
      this.reject(identifier, subscription);
    }
  }

  private reject(identifier: string, subscription: GraphqlChannelSubscription): void {
    if (this.subscriptions.get(identifier) !== subscription) return;
    // channel/base.rb `reject_subscription`: removed (unsubscribed), then the rejection.
    this.subscriptions.delete(identifier);
    subscription.unsubscribed();
    this.send(rejectFrame(identifier));
  }

  private unsubscribe(command: CableCommand): void {
    const subscription = this.subscriptions.get(command.identifier);
    if (!subscription) {
      this.deps.logger.info('cable unsubscribe dropped: no such subscription');
      return;
    }
    this.subscriptions.delete(command.identifier);
    subscription.unsubscribed();
  }

  private send(frame: CableServerFrame): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    if (this.socket.bufferedAmount > this.deps.limits.maxBufferedBytes) {
      this.deps.logger.info('cable connection dropped: slow reader');
      this.socket.terminate();
      return;
    }
    this.socket.send(JSON.stringify(frame));
  }

  /** handle_close (base.rb L211): every subscription unsubscribed. */
  private closed(): void {
    this.opened = false;
    for (const subscription of this.subscriptions.values()) subscription.unsubscribed();
    this.subscriptions.clear();
  }
}
