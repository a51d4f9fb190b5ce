/**
 * ActionCable as GitLab serves it at `/-/cable` (seed 004, issue 9): the wire protocol of Rails'
 * Action Cable 7/8 (`actioncable-v1-json`), and GitLab's GraphqlChannel that carries GraphQL
 * subscriptions over it. Server (apps/gitlab/src/cable) and clients (scenarios, tests) share
 * these names; the shapes are ActionCable's own.
 *
 * Sources: rails/rails v8.0.5 actioncable/lib/action_cable.rb L58-74 (INTERNAL: message types,
 * disconnect reasons, protocols), connection/base.rb, connection/subscriptions.rb,
 * channel/base.rb, server/connections.rb L14 (BEAT_INTERVAL = 3); GitLab
 * config/initializers/action_cable.rb (`mount_path = '/-/cable'`).
 */

/** Where GitLab mounts Action Cable (config/initializers/action_cable.rb: `config.action_cable.mount_path = '/-/cable'`). */
export const CABLE_PATH = '/-/cable';

/**
 * WebSocket subprotocols (Sec-WebSocket-Protocol), ActionCable::INTERNAL[:protocols]. Clients offer
 * both; the server picks the first offered one it knows. `actioncable-unsupported` is offered last
 * so that a server knowing neither answers without a subprotocol, and a client that ends up on
 * it closes (the JS client supports every listed protocol but the last).
 */
export const CABLE_PROTOCOL = {
  V1_JSON: 'actioncable-v1-json',
  UNSUPPORTED: 'actioncable-unsupported',
} as const;
export const CABLE_PROTOCOLS: readonly string[] = Object.freeze([CABLE_PROTOCOL.V1_JSON, CABLE_PROTOCOL.UNSUPPORTED]);

/** `type` of server frames (ActionCable::INTERNAL[:message_types]). Channel messages carry no type. */
export const CABLE_MESSAGE_TYPE = {
  WELCOME: 'welcome',
  DISCONNECT: 'disconnect',
  PING: 'ping',
  CONFIRMATION: 'confirm_subscription',
  REJECTION: 'reject_subscription',
} as const;

/** `reason` of a `disconnect` frame (ActionCable::INTERNAL[:disconnect_reasons]). */
export const CABLE_DISCONNECT_REASON = {
  UNAUTHORIZED: 'unauthorized',
  INVALID_REQUEST: 'invalid_request',
  SERVER_RESTART: 'server_restart',
  REMOTE: 'remote',
} as const;
export type CableDisconnectReason = (typeof CABLE_DISCONNECT_REASON)[keyof typeof CABLE_DISCONNECT_REASON];

/** `command` of client frames (connection/subscriptions.rb `execute_command`). */
export const CABLE_COMMAND = {
  SUBSCRIBE: 'subscribe',
  UNSUBSCRIBE: 'unsubscribe',
  MESSAGE: 'message',
} as const;
export type CableCommandName = (typeof CABLE_COMMAND)[keyof typeof CABLE_COMMAND];

/** Seconds between the server's `ping` frames (server/connections.rb BEAT_INTERVAL). */
export const CABLE_BEAT_INTERVAL_SECONDS = 3;

/** GitLab's channel for GraphQL subscriptions (app/channels/graphql_channel.rb). */
export const GRAPHQL_CHANNEL = 'GraphqlChannel';

/**
 * Scopes an access token needs to subscribe to GraphqlChannel: ApplicationCable::Channel
 * `authorization_scopes` `[:api, :read_api]` (app/channels/application_cable/channel.rb), plus
 * `:ai_features` from EE (ee/app/channels/ee/graphql_channel.rb `super + [:ai_features]`).
 */
export const GRAPHQL_CHANNEL_SCOPES: readonly string[] = Object.freeze(['api', 'read_api', 'ai_features']);

/** A client frame: `identifier` is the channel's params as a JSON string (`{"channel":"GraphqlChannel",...}`), `data` an action's JSON string. */
export interface CableCommand {
  command: CableCommandName;
  identifier: string;
  data?: string;
}

/** Server frames (every one is one JSON text frame). */
export type CableServerFrame =
  | { type: typeof CABLE_MESSAGE_TYPE.WELCOME }
  | { type: typeof CABLE_MESSAGE_TYPE.PING; message: number }
  | { type: typeof CABLE_MESSAGE_TYPE.DISCONNECT; reason: CableDisconnectReason; reconnect: boolean }
  | { identifier: string; type: typeof CABLE_MESSAGE_TYPE.CONFIRMATION | typeof CABLE_MESSAGE_TYPE.REJECTION }
  | { identifier: string; message: unknown };

/**
 * GraphqlChannel's subscribe params (the identifier's members besides `channel`), as GitLab's
 * clients send them: `query`, `variables` (an object, or a JSON string), `operationName`, and
 * `nonce`, which only makes each identifier unique (ActionCable ignores a second subscribe with
 * an identifier already subscribed; GitLab's ActionCableLink sends a uuid).
 */
export interface GraphqlChannelParams {
  channel: typeof GRAPHQL_CHANNEL;
  query: string;
  variables?: Record<string, unknown> | string | null;
  operationName?: string | null;
  nonce?: string;
}

/**
 * The `message` of a GraphqlChannel frame (graphql-ruby ActionCableSubscriptions): the first
 * answer and each update `{result, more: true}`; `more: false` when nothing follows; `{errors}`
 * alone for invalid `variables` (graphql_channel.rb `rescue_from Gitlab::Graphql::Variables::Invalid`).
 */
export interface GraphqlChannelMessage {
  result?: { data?: unknown; errors?: unknown[] };
  more?: boolean;
  errors?: Array<{ message: string }>;
}
