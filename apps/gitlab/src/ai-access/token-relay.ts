import { ContractHttpException } from '../../../common/src/index.js';
import type { Actor } from '../auth/api-auth.service.js';

/** What a self-managed instance answers the IDE after relaying (status and body as SaaS gave them, or its own). */
export interface RelayResult {
  status: number;
  body: object;
  headers?: Record<string, string>;
}

export interface RelayRequest {
  actor: Actor;
  userAgent: string | undefined;
}

/**
 * The self-managed side of POST /api/v4/code_suggestions/tokens (seed 001): check the
 * instance's code suggestions setting and the stored service access token, then relay to
 * <SAAS_URL>/api/v4/code_suggestions/tokens. Bound as a Nest provider under this class so the
 * sm-relay task replaces the implementation without touching the controller.
 */
export abstract class TokenRelay {
  abstract relay(request: RelayRequest): Promise<RelayResult>;
}

/** Placeholder until the sm-relay scenario: 501 with a message saying so. */
export class NotImplementedTokenRelay extends TokenRelay {
  relay(): Promise<RelayResult> {
    return Promise.reject(
      new ContractHttpException({ message: '501 Not Implemented: relay to SaaS arrives with the sm-relay scenario' }, 501),
    );
  }
}
