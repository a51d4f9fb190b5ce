import { Module } from '@nestjs/common';
import type { DemoInstance } from '#contracts';
import { APP_CONFIG, ConfigError } from '#common';
import { APP_NAME, type GitlabConfig } from '../config.js';
import { INSTANCE_FIXTURE } from '../instance/di.js';
import { InstanceSettings, InvalidSettingError } from './instance-settings.service.js';

/** The settings store alone (the relay and the control API read it; SettingsModule adds the admin API). */
@Module({
  providers: [
    {
      provide: InstanceSettings,
      useFactory: (fixture: DemoInstance, config: GitlabConfig) => {
        try {
          return new InstanceSettings(fixture.settings);
        } catch (e) {
          // A seeded token the relay could not send stops start-up, naming the place (not the value).
          if (e instanceof InvalidSettingError) {
            throw new ConfigError(APP_NAME, [`GITLAB_SEED_FILE: ${config.seedFile}: /${config.mode}/settings/${e.message}`]);
          }
          throw e;
        }
      },
      inject: [INSTANCE_FIXTURE, APP_CONFIG],
    },
  ],
  exports: [InstanceSettings],
})
export class SettingsCoreModule {}
