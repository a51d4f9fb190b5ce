import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, APP_LOGGER, type Logger } from '#common';
import type { GitlabConfig } from '../config.js';
import { InstanceSettings } from '../settings/instance-settings.service.js';
import { SettingsCoreModule } from '../settings/settings-core.module.js';
import { SaasRelayClient } from './saas-relay-client.js';
import { SaasTokenRelay } from './saas-token-relay.service.js';

/**
 * The self-managed relay of seed 001 (to SAAS_URL). Only a self-managed instance imports this
 * module; SaaS mints tokens itself and has no SaasTokenRelay, so whoever may meet either mode
 * injects it @Optional().
 */
@Global()
@Module({
  imports: [SettingsCoreModule],
  providers: [
    {
      provide: SaasTokenRelay,
      inject: [APP_CONFIG, InstanceSettings, APP_LOGGER],
      useFactory: (config: GitlabConfig, settings: InstanceSettings, logger: Logger) => {
        if (config.saasUrl === undefined) throw new Error('a self-managed instance without SAAS_URL (the configuration requires it)');
        return new SaasTokenRelay(settings, new SaasRelayClient({ saasUrl: config.saasUrl, timeoutMs: config.saasTimeoutMs }), logger);
      },
    },
  ],
  exports: [SaasTokenRelay],
})
export class RelayModule {}
