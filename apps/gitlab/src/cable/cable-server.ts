import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { fastifyCookie } from '@fastify/cookie';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { APP_CONFIG, APP_LOGGER } from '#common';
import { CABLE_DISCONNECT_REASON, CABLE_PATH, webIdeFrameOrigin } from '#contracts';
import type { CredentialRequest } from '../auth/credentials.js';
import type { GitlabConfig } from '../config.js';
import { GraphqlSubscriptions } from '../graphql/graphql-subscriptions.port.js';
import { CLOCK, type Clock } from '../instance/di.js';
import { InstanceInfo } from '../instance/instance-info.js';
import { CableAuthenticator } from './cable-authenticator.js';
import { CableConnection } from './cable-connection.js';
import { selectProtocol } from './cable-frames.js';
import { CABLE_LIMITS, type CableLimits, DEFAULT_CABLE_LIMITS } from './cable-limits.js';
import { allowRequestOrigin } from './cable-origins.js';

const NOT_FOUND = 'Page not found';

/**
 * Action Cable at `/-/cable` on the app's own HTTP server (GitLab config/initializers/
 * action_cable.rb `mount_path`): `ws` in noServer mode on the server's `upgrade` event, one
 * CableConnection per socket, one beat timer for all (server/connections.rb
 * `setup_heartbeat_timer`).
 *
 * An upgrade to `/-/cable` is accepted when it is a WebSocket GET from an allowed Origin
 * (allowRequestOrigin); otherwise it is answered as Rails answers it, `404 text/plain "Page not
 * found"` (connection/base.rb L247-252 `respond_to_invalid_request`). The subprotocol is the first
 * offered of `actioncable-v1-json`, `actioncable-unsupported`, or none. Upgrades to other paths
 * are left to other listeners, or refused with 404 when there is none.
 *
 * At shutdown every connection gets `{"type":"disconnect","reason":"server_restart",
 * "reconnect":true}` (what Rails sends on `ActionCable.server.restart`) and is closed.
 * GraphqlSubscriptions is optional: an app without GraphQL rejects GraphqlChannel subscriptions.
 */
@Injectable()
export class CableServer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly connections = new Set<CableConnection>();
  private readonly limits: CableLimits;
  private wss: WebSocketServer | undefined;
  private server: Server | undefined;
  private beatTimer: NodeJS.Timeout | undefined;
  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head);

  constructor(
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(CableAuthenticator) private readonly authenticator: CableAuthenticator,
    @Inject(InstanceInfo) private readonly instance: InstanceInfo,
    @Inject(APP_CONFIG) private readonly config: Pick<GitlabConfig, 'webIdeFrameOrigin'>,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_LOGGER) private readonly logger: Logger,
    @Optional() @Inject(GraphqlSubscriptions) private readonly graphql?: GraphqlSubscriptions,
    @Optional() @Inject(CABLE_LIMITS) limits?: CableLimits,
  ) {
    this.limits = limits ?? DEFAULT_CABLE_LIMITS;
  }

  onApplicationBootstrap(): void {
    this.server = this.adapterHost.httpAdapter.getHttpServer() as Server;
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: this.limits.maxMessageBytes,
      perMessageDeflate: false,
      handleProtocols: (offered) => selectProtocol(offered) ?? false,
    });
    this.server.on('upgrade', this.onUpgrade);
    this.beatTimer = setInterval(() => this.connections.forEach((c) => c.beat()), this.limits.beatIntervalMs);
    this.beatTimer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.beatTimer);
    this.server?.off('upgrade', this.onUpgrade);
    await Promise.all([...this.connections].map((c) => c.close(CABLE_DISCONNECT_REASON.SERVER_RESTART, true)));
    this.wss?.close();
  }

  /** Open connections (tests and the control API may read it). */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** The allowed request origins: the instance URL's and the Web IDE editor frame's. */
  private allowedOrigins(): string[] {
    const url = this.instance.url;
    return [new URL(url).origin, this.config.webIdeFrameOrigin ?? webIdeFrameOrigin(url)];
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://cable.invalid');
    if (url.pathname !== CABLE_PATH) {
      if (this.server && this.server.listenerCount('upgrade') === 1) refuse(socket);
      return;
    }
    const isWebSocket = req.method === 'GET' && req.headers.upgrade?.toLowerCase() === 'websocket';
    const secure = Boolean((req.socket as { encrypted?: boolean }).encrypted) || req.headers['x-forwarded-proto'] === 'https';
    if (!isWebSocket || !allowRequestOrigin(req.headers.origin, { host: req.headers.host, secure }, this.allowedOrigins())) {
      this.logger.info({ origin: req.headers.origin ?? null, websocket: isWebSocket }, 'cable upgrade refused');
      refuse(socket);
      return;
    }
    const credentials = credentialRequest(req, url);
    this.wss!.handleUpgrade(req, socket, head, (ws) => {
      const connection = new CableConnection(
        ws,
        credentials,
        { authenticator: this.authenticator, graphql: this.graphql, limits: this.limits, logger: this.logger, now: () => this.clock.now() },
        (c) => this.connections.delete(c),
      );
      this.connections.add(connection);
      connection.open().catch((e: Error) => {
        this.logger.error({ err: { name: e.name } }, 'cable connection failed to open');
        ws.terminate();
      });
    });
  }
}

/** The upgrade request as the credential readers see a request: GET, its headers, query and cookies. */
function credentialRequest(req: IncomingMessage, url: URL): CredentialRequest {
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) if (!(k in query)) query[k] = v;
  const cookieHeader = req.headers.cookie;
  return { method: 'GET', headers: req.headers, query, cookies: cookieHeader ? fastifyCookie.parse(cookieHeader) : {} };
}

/** Rails' answer to an upgrade it does not accept (connection/base.rb `respond_to_invalid_request`). */
function refuse(socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(NOT_FOUND)}\r\nConnection: close\r\n\r\n${NOT_FOUND}`,
  );
}
