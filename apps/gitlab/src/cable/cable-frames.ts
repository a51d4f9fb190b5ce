import {
  CABLE_COMMAND,
  CABLE_MESSAGE_TYPE,
  CABLE_PROTOCOL,
  type CableCommand,
  type CableCommandName,
  type CableDisconnectReason,
  type CableServerFrame,
} from '#contracts';

/**
 * Action Cable's JSON framing (`actioncable-v1-json`), as Rails 8 writes and reads it: server
 * frames are built here and nowhere else, client frames are decoded here. Pure functions.
 * (rails/rails v8.0.5 actioncable/lib/action_cable/connection/base.rb, subscriptions.rb,
 * channel/base.rb.)
 */

/** `{"type":"welcome"}`, sent once the connection is accepted (connection/base.rb `send_welcome_message`). */
export function welcomeFrame(): CableServerFrame {
  return { type: CABLE_MESSAGE_TYPE.WELCOME };
}

/** `{"type":"ping","message":<epoch seconds>}` every beat (connection/base.rb `beat`: `Time.now.to_i`). */
export function pingFrame(nowMs: number): CableServerFrame {
  return { type: CABLE_MESSAGE_TYPE.PING, message: Math.floor(nowMs / 1000) };
}

/** `{"type":"disconnect","reason":...,"reconnect":...}` before the server closes (connection/base.rb `close`). */
export function disconnectFrame(reason: CableDisconnectReason, reconnect: boolean): CableServerFrame {
  return { type: CABLE_MESSAGE_TYPE.DISCONNECT, reason, reconnect };
}

/** `{"identifier":...,"type":"confirm_subscription"}` (channel/base.rb `transmit_subscription_confirmation`). */
export function confirmFrame(identifier: string): CableServerFrame {
  return { identifier, type: CABLE_MESSAGE_TYPE.CONFIRMATION };
}

/** `{"identifier":...,"type":"reject_subscription"}` (channel/base.rb `transmit_subscription_rejection`). */
export function rejectFrame(identifier: string): CableServerFrame {
  return { identifier, type: CABLE_MESSAGE_TYPE.REJECTION };
}

/** `{"identifier":...,"message":...}`: what a channel transmits (channel/base.rb `transmit`). */
export function messageFrame(identifier: string, message: unknown): CableServerFrame {
  return { identifier, message };
}

/** The subprotocol the server speaks, chosen from the client's offer: the first offered one it knows, else none (websocket-driver). */
export function selectProtocol(offered: Iterable<string>): string | undefined {
  for (const p of offered) if (p === CABLE_PROTOCOL.V1_JSON || p === CABLE_PROTOCOL.UNSUPPORTED) return p;
  return undefined;
}

/** A client frame that could be decoded, or why not (the reason is logged; Rails logs it and keeps the connection). */
export type DecodedCommand = { ok: true; command: CableCommand } | { ok: false; problem: string };

const COMMANDS = new Set<string>(Object.values(CABLE_COMMAND));

/**
 * Decodes one text frame into a command: a JSON object with a known `command` and a string
 * `identifier` (`data` a string when present). Anything else is a problem, never an exception.
 * The problem names what is wrong, never the frame's content (it may hold a token).
 */
export function decodeCommand(text: string): DecodedCommand {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'frame is not JSON' };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { ok: false, problem: 'frame is not a JSON object' };
  const { command, identifier, data } = value as Record<string, unknown>;
  if (typeof command !== 'string' || !COMMANDS.has(command)) return { ok: false, problem: 'unrecognized command' };
  if (typeof identifier !== 'string') return { ok: false, problem: 'identifier is not a string' };
  if (data !== undefined && typeof data !== 'string') return { ok: false, problem: 'data is not a string' };
  return { ok: true, command: { command: command as CableCommandName, identifier, ...(data === undefined ? {} : { data }) } };
}

/**
 * A subscription identifier's params: the JSON object the identifier string holds, with a string
 * `channel` (connection/subscriptions.rb `add`: `ActiveSupport::JSON.decode(id_key)`, then
 * `id_options[:channel]`). Undefined when the identifier is not such an object.
 */
export function identifierParams(identifier: string): (Record<string, unknown> & { channel: string }) | undefined {
  let value: unknown;
  try {
    value = JSON.parse(identifier);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const params = value as Record<string, unknown>;
  return typeof params.channel === 'string' ? (params as Record<string, unknown> & { channel: string }) : undefined;
}
