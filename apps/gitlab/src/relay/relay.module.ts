import { Module } from '@nestjs/common';
import type { Logger } from '../../../common/src/index.js';
import { NoTokenRelay, TokenRelay } from '../ai-access/token-relay.js';
import type { GitlabConfig } from '../config.js';
import { GITLAB_CONFIG, LOGGER } from '../instance/tokens.js';
import { InstanceSettings } from '../settings/instance-settings.service.js';
import { SettingsCoreModule } from '../settings/settings-core.module.js';
import { SaasRelayClient } from './saas-relay-client.js';
import { SaasTokenRelay } from './saas-token-relay.service.js';

/** The TokenRelay of this instance: the relay to SAAS_URL on self-managed, none on SaaS. */
@Module({
  imports: [SettingsCoreModule],
  providers: [
    {
      provide: TokenRelay,
      useFactory: (config: GitlabConfig, settings: InstanceSettings, logger: Logger): TokenRelay =>
        config.mode === 'self-managed' && config.saasUrl
          ? new SaasTokenRelay(settings, new SaasRelayClient({ saasUrl: config.saasUrl, timeoutMs: config.saasTimeoutMs }), logger)
          : new NoTokenRelay(),
      inject: [GITLAB_CONFIG, InstanceSettings, LOGGER],
    },
  ],
  exports: [TokenRelay],
})
export class RelayModule {}
