import { CABLE_BEAT_INTERVAL_SECONDS } from '#contracts';

/**
 * Bounds of the Action Cable server. Rails sets none of these but the beat; they keep one client
 * from holding memory or sockets without end.
 */
export interface CableLimits {
  /** Largest client frame; a larger one closes the connection (WebSocket close 1009, RFC 6455 §7.4.1). */
  maxMessageBytes: number;
  /** Subscriptions one connection may hold; one more is answered with reject_subscription. */
  maxSubscriptionsPerConnection: number;
  /** Between `ping` frames (server/connections.rb BEAT_INTERVAL, 3 s). */
  beatIntervalMs: number;
  /** A peer that answers no WebSocket ping (and sends nothing) for this long is dropped. */
  deadPeerTimeoutMs: number;
  /** Unsent bytes a slow reader may leave queued before it is dropped. */
  maxBufferedBytes: number;
  /** How long a closing connection may take at shutdown before its socket is destroyed. */
  closeGraceMs: number;
}

export const DEFAULT_CABLE_LIMITS: CableLimits = Object.freeze({
  maxMessageBytes: 64 * 1024,
  maxSubscriptionsPerConnection: 50,
  beatIntervalMs: CABLE_BEAT_INTERVAL_SECONDS * 1000,
  deadPeerTimeoutMs: 30_000,
  maxBufferedBytes: 1024 * 1024,
  closeGraceMs: 500,
});

/** Injection token of CableLimits (optional: DEFAULT_CABLE_LIMITS without it). */
export const CABLE_LIMITS = Symbol('CABLE_LIMITS');
