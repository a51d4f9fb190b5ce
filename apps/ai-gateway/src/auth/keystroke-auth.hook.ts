import { Inject, Injectable, RequestMethod, type OnApplicationBootstrap } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { DiscoveryService, HttpAdapterHost, MetadataScanner, Reflector } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { APP_CONFIG, APP_LOGGER, ContractHttpException, ERROR_SHAPE, PUBLIC_ROUTE, sendContractException, type ErrorShape, type Logger } from '#common';
import type { AiGatewayConfig } from '../config.js';
import { RequiresUnitPrimitive } from './auth.decorators.js';
import { AuthGuard, type AuthenticatedRequest } from './auth.guard.js';
import { REFUSAL, type RefusableRequest } from './keystroke-refusal.js';

/** method -> route path (as Fastify matched it) -> the unit primitive the route requires. */
type RouteTable = ReadonlyMap<string, ReadonlyMap<string, string>>;

/**
 * The per-keystroke routes' authentication as Fastify hooks: the AuthGuard's own checks
 * (authenticate, then the route's unit primitive) run in preParsing, before the body is read and
 * before Nest's handler pipeline; a refusal is kept on the request, its body read but not parsed,
 * and answered in preHandler, without Nest's guard and exception path (which cost more than the
 * check itself: load/README.md, "Profiles"). Not answered earlier (onRequest, preParsing): an
 * answer sent while the body is still arriving would leave the connection to Node's request
 * timeout, which then writes a second answer (408). The routes are the
 * handlers declaring @RequiresUnitPrimitive, read from Nest's metadata once at start-up; the
 * AuthGuard lets a request through that the hook has authorized, and still guards every other
 * route. Registered on bootstrap, after BrowserCors, so refusals carry the CORS headers.
 * With AIGW_AUTH_GUARD other than `direct` there is no hook: the configured guard does it all.
 */
@Injectable()
export class KeystrokeAuthHook implements OnApplicationBootstrap {
  constructor(
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(MetadataScanner) private readonly scanner: MetadataScanner,
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(AuthGuard) private readonly guard: AuthGuard,
    @Inject(APP_CONFIG) private readonly config: Pick<AiGatewayConfig, 'authGuard'>,
    @Inject(ERROR_SHAPE) private readonly shape: ErrorShape,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  /** The routes the hook guards, once bootstrapped: method -> path -> unit primitive (empty without the hook). */
  routes: RouteTable = new Map();

  onApplicationBootstrap(): void {
    if (this.config.authGuard !== 'direct') return;
    const routes = (this.routes = this.routeTable());
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    const internalError = ContractHttpException.constant(this.shape(500, 'Internal Server Error'), 500);
    // The verdict is reached before the body is read (as the production gateway's middleware
    // does, before FastAPI reads it) and kept on the request; LenientBodyParsing then reads a
    // refused request's body without parsing it, and preHandler answers once the body is in.
    // Callback style: a verdict known at once (a cached or held-key token) makes no promise;
    // only a token waiting for its keys or GitLab's back channel waits for one.
    fastify.addHook('preParsing', (request, _reply, payload, done) => {
      const path = request.routeOptions.url;
      const primitive = path === undefined ? undefined : routes.get(request.method)?.get(path);
      if (primitive === undefined) return done(null, payload);
      const refusable = request as RefusableRequest & AuthenticatedRequest;
      let verdict: ReturnType<AuthGuard['verdict']>;
      try {
        verdict = this.guard.verdict(refusable, primitive);
      } catch (e) {
        verdict = this.failed(e, internalError);
      }
      if (!(verdict instanceof Promise)) {
        if (verdict !== undefined) refusable[REFUSAL] = verdict;
        return done(null, payload);
      }
      verdict.then(
        (refusal) => {
          if (refusal !== undefined) refusable[REFUSAL] = refusal;
          done(null, payload);
        },
        (e: unknown) => {
          refusable[REFUSAL] = this.failed(e, internalError);
          done(null, payload);
        },
      );
    });
    fastify.addHook('preHandler', (request, reply, done) => {
      const refusal = (request as RefusableRequest)[REFUSAL];
      if (refusal === undefined) done();
      else void sendContractException(reply, refusal);
    });
  }

  /** Never thrown by contract (the guard returns every refusal as a contract error): logged, and answered 500. */
  private failed(e: unknown, internalError: ContractHttpException): ContractHttpException {
    this.logger.error({ auth: { reason: 'hook-error', error: e instanceof Error ? e.name : typeof e } }, 'keystroke authentication failed unexpectedly');
    return internalError;
  }

  /** Every non-public handler with @RequiresUnitPrimitive, by method and full path. */
  private routeTable(): RouteTable {
    const table = new Map<string, Map<string, string>>();
    for (const wrapper of this.discovery.getControllers()) {
      const controller = wrapper.metatype as (abstract new (...args: never[]) => object) | null;
      if (!controller || !wrapper.instance) continue;
      const prototype = Object.getPrototypeOf(wrapper.instance) as Record<string, unknown>;
      const prefixes = pathsOf(Reflect.getMetadata(PATH_METADATA, controller));
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name] as (...args: unknown[]) => unknown;
        const primitive = this.reflector.get(RequiresUnitPrimitive, handler);
        if (primitive === undefined || this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [handler, controller]) === true) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
        const byPath = table.get(method) ?? new Map<string, string>();
        table.set(method, byPath);
        for (const prefix of prefixes) for (const path of pathsOf(Reflect.getMetadata(PATH_METADATA, handler))) byPath.set(joinPaths(prefix, path), primitive);
      }
    }
    return table;
  }
}

const pathsOf = (metadata: unknown): string[] => (Array.isArray(metadata) ? (metadata as string[]) : [typeof metadata === 'string' ? metadata : '/']);

/** Nest's joining of a controller path and a route path: one leading '/', none trailing, no '//'. */
function joinPaths(prefix: string, path: string): string {
  const joined = `/${prefix}/${path}`.replace(/\/+/g, '/');
  return joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}
