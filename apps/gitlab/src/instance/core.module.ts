import { type DynamicModule, Inject, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import type { DemoInstance } from '../../../../contracts/src/index.js';
import { ConfigError, type Logger, RequestLog } from '../../../common/src/index.js';
import { APP_NAME, type GitlabConfig } from '../config.js';
import { FixtureError, fixtureSection, loadFixtureFile } from '../identity/fixture-loader.js';
import { applyGitlabFastifySetup } from './fastify-setup.js';
import { InstanceInfo } from './instance-info.js';
import { CLOCK, type Clock, GITLAB_CONFIG, INSTANCE_FIXTURE, LOGGER, REQUEST_LOG, systemClock } from './tokens.js';

/** What a gitlab process is built from besides its config (main.ts and tests supply them). */
export interface GitlabDeps {
  logger: Logger;
  /** Answered requests, shared with startHttpApp's hook and the control API. */
  requestLog?: RequestLog;
  clock?: Clock;
}

/** Loads the seed file's section of this mode; a bad file stops start-up naming GITLAB_SEED_FILE. */
function loadInstanceFixture(config: GitlabConfig): DemoInstance {
  try {
    return fixtureSection(loadFixtureFile(config.seedFile), config.mode, config.seedFile);
  } catch (e) {
    if (e instanceof FixtureError) throw new ConfigError(APP_NAME, e.problems.map((p) => `GITLAB_SEED_FILE: ${p}`));
    throw e;
  }
}

/**
 * Config, logger, clock, fixture and the instance's identity, available to every feature
 * module; also applies the Fastify set-up GitLab needs (cookies, JSON bodies).
 */
@Module({})
export class CoreModule implements OnModuleInit {
  constructor(@Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    applyGitlabFastifySetup(this.adapterHost.httpAdapter.getInstance<FastifyInstance>());
  }

  static forRoot(config: GitlabConfig, deps: GitlabDeps): DynamicModule {
    return {
      module: CoreModule,
      global: true,
      providers: [
        { provide: GITLAB_CONFIG, useValue: config },
        { provide: LOGGER, useValue: deps.logger },
        { provide: CLOCK, useValue: deps.clock ?? systemClock },
        { provide: REQUEST_LOG, useValue: deps.requestLog ?? new RequestLog() },
        { provide: INSTANCE_FIXTURE, useFactory: () => loadInstanceFixture(config) },
        {
          provide: InstanceInfo,
          useFactory: (fixture: DemoInstance) => new InstanceInfo(config.mode, fixture.instance_id, config.url),
          inject: [INSTANCE_FIXTURE],
        },
      ],
      exports: [GITLAB_CONFIG, LOGGER, CLOCK, REQUEST_LOG, INSTANCE_FIXTURE, InstanceInfo],
    };
  }
}
