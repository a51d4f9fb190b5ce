import { performance } from 'node:perf_hooks';
import { GITLAB_ERROR, type RelayTarget, type RelayTargetUpdate } from '#contracts';
import { ContractHttpException, type HarnessResettable, type Logger } from '#common';
import type { InstanceSettings } from '../settings/instance-settings.service.js';
import type { RelayRequest, RelayResult } from './relay.js';
import type { RelayExchange } from './saas-answer.js';
import type { SaasRelayClient } from './saas-relay-client.js';

/** The log line of every relay: what happened, how long it took, where to; never the token. */
export const RELAY_LOG_MESSAGE = 'relayed code suggestions token request to GitLab SaaS';

/**
 * Seed 001 on the self-managed instance, after authentication and the endpoint's flag (the
 * controller): 404 when code suggestions are disabled on the instance, 404 when no service
 * access token is stored (both `{"message":"404 Not Found"}`, as GitLab's not_found!), else
 * the relay to SaaS (SaasRelayClient) whose answer or failure is returned and logged. The
 * harness control API points it elsewhere (`retarget`) until its reset.
 */
export class SaasTokenRelay implements HarnessResettable {
  constructor(
    private readonly settings: InstanceSettings,
    private readonly client: SaasRelayClient,
    private readonly logger: Logger,
  ) {}

  /** Where the relay goes now (contracts `relayTarget`). */
  get target(): RelayTarget {
    return { saas_url: this.client.saasUrl, timeout_ms: this.client.timeoutMs };
  }

  /** Harness control API only: relay to another SaaS URL or with another timeout until reset. */
  retarget(change: RelayTargetUpdate): RelayTarget {
    this.client.retarget({
      ...(change.saas_url !== undefined ? { saasUrl: change.saas_url } : {}),
      ...(change.timeout_ms !== undefined ? { timeoutMs: change.timeout_ms } : {}),
    });
    return this.target;
  }

  /** Back to SAAS_URL and SAAS_TIMEOUT_MS. */
  reset(): void {
    this.client.resetTarget();
  }

  async relay(request: RelayRequest): Promise<RelayResult> {
    if (!this.settings.codeSuggestions) throw new ContractHttpException(GITLAB_ERROR.NOT_FOUND, 404);
    const token = this.settings.serviceAccessToken();
    if (!token) throw new ContractHttpException(GITLAB_ERROR.NOT_FOUND, 404);
    const started = performance.now();
    const exchange = await this.client.requestToken(token);
    this.log(exchange, performance.now() - started, request);
    return exchange.result;
  }

  private log(exchange: RelayExchange, durationMs: number, request: RelayRequest): void {
    const failed = ['unreachable', 'timeout', 'saas-bad-status', 'malformed'].includes(exchange.outcome);
    this.logger[failed ? 'warn' : 'info'](
      {
        relay: {
          saasUrl: this.client.tokensUrl,
          outcome: exchange.outcome,
          saasStatus: exchange.saasStatus,
          problem: exchange.problem,
          status: exchange.result.status,
          durationMs: Math.round(durationMs * 1000) / 1000,
          timeoutMs: this.client.timeoutMs,
          errorCode: exchange.errorCode,
          user: request.actor.user.username,
        },
      },
      RELAY_LOG_MESSAGE,
    );
  }
}
