import 'reflect-metadata';
import { type DynamicModule, type InjectionToken, Module, type ModuleMetadata, type Provider } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { type RunningHttpApp, runMain, startHttpApp } from './bootstrap.js';
import { type ConfigSource, configHelp, flagsToSource, httpTimeoutsOf, type ServerConfig, type SettingsDescription } from './config.js';
import { HarnessControlModule, type HarnessControlOptions } from './control/harness-control.module.js';
import { APP_CONFIG, APP_LOGGER } from './di.js';
import { ERROR_SHAPE, type ErrorShape, errorHandlingProviders } from './exceptions.js';
import { createLogger, type Logger } from './logger.js';

/** What every app is built from besides its config: main.ts passes a logger, tests may add fakes. */
export interface AppDeps {
  logger: Logger;
}

/**
 * One app: its configuration (settings with their variables, flags and --help), its error
 * wording, its feature modules and its part of the harness control API. defineApp() turns it
 * into the app's main() and the start() its tests use, so every app starts the same way.
 */
export interface AppDefinition<C extends ServerConfig, D extends AppDeps> {
  /** The app's name: the `app` of every log line and the prefix of configuration errors. */
  name: string;
  /** The first line of --help. */
  summary: string;
  /** Its settings (for flags and --help). */
  config: SettingsDescription;
  /** The typed configuration from environment variables and flags (loadConfig of `config`, plus what derives from several settings). */
  load(source: ConfigSource): C;
  /** How the app words errors that are not contract errors. */
  errorShape: ErrorShape;
  /** Largest request body; Fastify answers 413 above it (1 MiB when unset). */
  bodyLimitBytes?: number;
  /** The feature modules. */
  imports(config: C): NonNullable<ModuleMetadata['imports']>;
  /** Values every module may inject besides APP_CONFIG and APP_LOGGER (outbound fetch, clock): exported app-wide. */
  providers?(config: C, deps: D): Provider[];
  /** The app's own control routes and what reset restores; registered only with HARNESS_CONTROL_TOKEN. */
  control?(config: C): Omit<HarnessControlOptions, 'token'>;
  /** Runs once the server listens (the URL is known only then with PORT=0). */
  afterListen?(app: NestFastifyApplication, url: string): void;
  /** Fields of the `listening` log line besides url, port and controlApi. */
  listening?(config: C, app: NestFastifyApplication): Record<string, unknown>;
}

export interface App<C extends ServerConfig, D extends AppDeps> {
  readonly definition: AppDefinition<C, D>;
  /** The root module: APP_CONFIG, APP_LOGGER, the error filter, the features, the control API when on. */
  module(config: C, deps: D): DynamicModule;
  /** Builds and listens (tests call this with a config of their own). */
  start(config: C, deps: D): Promise<RunningHttpApp>;
  /** The process entry point: --help, or config from the environment and flags, a logger, start, and one `listening` line. */
  main(argv?: string[], env?: ConfigSource): Promise<void>;
  help(): string;
}

/** The root module class every app's dynamic module is built on. */
@Module({})
export class AppModule {}

/** The injection token a provider is registered under. */
function tokenOf(provider: Provider): InjectionToken {
  return typeof provider === 'function' ? provider : provider.provide;
}

export function defineApp<C extends ServerConfig, D extends AppDeps = AppDeps>(definition: AppDefinition<C, D>): App<C, D> {
  const app: App<C, D> = {
    definition,
    module(config, deps) {
      const values = definition.providers?.(config, deps) ?? [];
      return {
        module: AppModule,
        global: true,
        imports: [
          ...definition.imports(config),
          // Not registered at all without the token: the routes answer 404 like any unknown path.
          ...(config.controlToken ? [HarnessControlModule.forRoot({ ...definition.control?.(config), token: config.controlToken })] : []),
        ],
        providers: [
          { provide: APP_CONFIG, useValue: config },
          { provide: APP_LOGGER, useValue: deps.logger },
          ...errorHandlingProviders(definition.errorShape, APP_LOGGER),
          ...values,
        ],
        exports: [APP_CONFIG, APP_LOGGER, ERROR_SHAPE, ...values.map(tokenOf)],
      };
    },
    async start(config, deps) {
      const running = await startHttpApp({
        module: app.module(config, deps),
        logger: deps.logger,
        host: config.host,
        port: config.port,
        timeouts: httpTimeoutsOf(config),
        accessLog: config.accessLog,
        ...(definition.bodyLimitBytes ? { bodyLimit: definition.bodyLimitBytes } : {}),
      });
      definition.afterListen?.(running.app, running.url);
      return running;
    },
    async main(argv = process.argv.slice(2), env = process.env) {
      await runMain(definition.name, async () => {
        if (argv.includes('--help') || argv.includes('-h')) {
          process.stdout.write(app.help());
          return;
        }
        const config = definition.load({ ...env, ...flagsToSource(definition.config, argv) });
        const logger = createLogger({ app: definition.name, level: config.logLevel });
        // A process gets the logger only; D's other members are fakes tests may pass, optional by convention.
        const { app: nest, url, port } = await app.start(config, { logger } as D);
        logger.info({ url, port, ...definition.listening?.(config, nest), controlApi: config.controlToken !== undefined }, 'listening');
      });
    },
    help: () => configHelp(definition.config, definition.summary),
  };
  return app;
}
