import type { Provider } from '@nestjs/common';
import type { DemoInstance } from '#contracts';
import { ConfigError } from '#common';
import { APP_NAME, type GitlabConfig } from '../config.js';
import { FixtureError, fixtureSection, loadFixtureFile } from '../identity/fixture-loader.js';
import { CLOCK, type Clock, INSTANCE_FIXTURE, systemClock } from './di.js';
import { GitlabFastifySetup } from './fastify-setup.js';
import { InstanceInfo } from './instance-info.js';

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
 * What every feature module of the instance may inject: the clock, the fixture section of its
 * mode, and who the instance is; plus the Fastify set-up GitLab needs (cookies, JSON bodies).
 */
export function instanceProviders(config: GitlabConfig, clock: Clock = systemClock): Provider[] {
  return [
    { provide: CLOCK, useValue: clock },
    { provide: INSTANCE_FIXTURE, useFactory: () => loadInstanceFixture(config) },
    { provide: InstanceInfo, inject: [INSTANCE_FIXTURE], useFactory: (fixture: DemoInstance) => new InstanceInfo(config.mode, fixture.instance_id, config.url) },
    GitlabFastifySetup,
  ];
}
