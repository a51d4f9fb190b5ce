import {
  applyDecorators,
  Controller,
  type DynamicModule,
  Get,
  HttpCode,
  Inject,
  type InjectionToken,
  Module,
  type ModuleMetadata,
  Post,
  type Provider,
  Query,
  SetMetadata,
  type Type,
  UseGuards,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { CONTROL_ROUTE, PATH, type RequestLogAnswer } from '#contracts';
import { ContractHttpException, ERROR_SHAPE, type ErrorShape } from '../exceptions.js';
import { parseRequestLogQuery, RequestLog } from '../request-log.js';
import { HARNESS_CONTROL_TOKEN, HarnessControlGuard } from './control-guard.js';

/**
 * Routes the app's own authentication does not apply to (monitoring, the harness control API,
 * which has its own guard). An app-wide guard (the gateway's AuthGuard) lets them through.
 */
export const PUBLIC_ROUTE = 'harness:public-route';
export const PublicRoute = () => SetMetadata(PUBLIC_ROUTE, true);

/**
 * Marks a controller as part of the harness control API: its routes live below /-/harness
 * (contracts CONTROL_ROUTE), need X-Harness-Control-Token, and skip the app's own
 * authentication. Register it through HarnessControlModule.forRoot({controllers}).
 */
export const HarnessControl = () => applyDecorators(Controller(PATH.HARNESS_CONTROL_PREFIX), UseGuards(HarnessControlGuard), PublicRoute());

/** What POST /-/harness/reset puts back to start: a provider whose reset() restores what the control API changed. */
export interface HarnessResettable {
  reset(): void | Promise<void>;
}

const RESETS = Symbol('HARNESS_RESETS');

/** The routes every app has: GET /-/harness/requests and POST /-/harness/reset. */
@HarnessControl()
export class HarnessControlController {
  constructor(
    @Inject(RequestLog) private readonly requestLog: RequestLog,
    @Inject(ERROR_SHAPE) private readonly shape: ErrorShape,
    @Inject(ModuleRef) private readonly modules: ModuleRef,
    @Inject(RESETS) private readonly resets: readonly InjectionToken[],
  ) {}

  /** The requests the app answered since the control API is on, filtered by `since` and `path` (400 in the app's error shape otherwise). */
  @Get(CONTROL_ROUTE.REQUESTS)
  requests(@Query() query: unknown): RequestLogAnswer {
    const parsed = parseRequestLogQuery(query);
    if ('problem' in parsed) throw new ContractHttpException(this.shape(400, parsed.problem), 400);
    return { requests: this.requestLog.list(parsed.filter) };
  }

  /** Calls reset() of every registered provider, in order. */
  @Post(CONTROL_ROUTE.RESET)
  @HttpCode(204)
  async reset(): Promise<void> {
    for (const token of this.resets) await this.modules.get<HarnessResettable>(token, { strict: false }).reset();
  }
}

export interface HarnessControlOptions {
  /** HARNESS_CONTROL_TOKEN: every call must present it. */
  token: string;
  /** The app's own control routes (@HarnessControl() controllers). */
  controllers?: Type[];
  /** The modules that provide what those controllers use. */
  imports?: ModuleMetadata['imports'];
  providers?: Provider[];
  /** Restored by POST /-/harness/reset, in this order (HarnessResettable providers of any module). */
  resets?: InjectionToken[];
}

/**
 * The harness control API (never for production): the guard, the routes every app has, and
 * the request log they read, which bootstrap fills only when this module is present. An app
 * imports it only when started with HARNESS_CONTROL_TOKEN, so without the token neither the
 * routes (404 like any unknown path) nor the recording exist.
 */
@Module({})
export class HarnessControlModule {
  static forRoot(options: HarnessControlOptions): DynamicModule {
    return {
      module: HarnessControlModule,
      imports: options.imports ?? [],
      controllers: [HarnessControlController, ...(options.controllers ?? [])],
      providers: [
        { provide: HARNESS_CONTROL_TOKEN, useValue: options.token },
        HarnessControlGuard,
        { provide: RequestLog, useValue: new RequestLog() },
        { provide: RESETS, useValue: options.resets ?? [] },
        ...(options.providers ?? []),
      ],
    };
  }
}
