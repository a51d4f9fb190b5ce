import { Module } from '@nestjs/common';
import type { Logger } from '../../../common/src/index.js';
import { NoTokenRelay, TokenRelay } from '../ai-access/token-relay.js';
import type { GitlabConfig } from '../config.js';
import { GITLAB_CONFIG, LOGGER } from '../instance/tokens.js';
import { InstanceSettings } from '../settings/instance-settings.service.js';
import { SettingsCoreModule } from '../settings/settings-core.module.js';
import { SaasRelayClient } from './saas-relay-client.js';
import { SaasTokenRelay } from './saas-token-relay.service.js';

/** The relay's HTTP client on self-managed; null on SaaS, which relays nothing. */
export const RELAY_CLIENT = Symbol('RELAY_CLIENT');

/** The TokenRelay of this instance: the relay to SAAS_URL on self-managed, none on SaaS. */
@Module({
  imports: [SettingsCoreModule],
  providers: [
    {
      provide: RELAY_CLIENT,
      useFactory: (config: GitlabConfig): SaasRelayClient | null =>
        config.mode === 'self-managed' && config.saasUrl ? new SaasRelayClient({ saasUrl: config.saasUrl, timeoutMs: config.saasTimeoutMs }) : null,
      inject: [GITLAB_CONFIG],
    },
    {
      provide: TokenRelay,
      useFactory: (client: SaasRelayClient | null, settings: InstanceSettings, logger: Logger): TokenRelay =>
        client ? new SaasTokenRelay(settings, client, logger) : new NoTokenRelay(),
      inject: [RELAY_CLIENT, InstanceSettings, LOGGER],
    },
  ],
  exports: [TokenRelay, RELAY_CLIENT],
})
export class RelayModule {}
