/**
 * Gateway double (c): a gateway that refuses everything. Every completions request, with or
 * without credentials, gets 401 `{"error":"Forbidden by auth provider"}`, while
 * /monitoring/healthz and /monitoring/ready say it is fine. Pointed at it, the suite must pass
 * no rejection check: a refusal counts only when the same target accepted the valid request it
 * varies (issue 6 §2; checklist gateway-auth, last paragraph). Test-only.
 */
import { FORBIDDEN_BY_AUTH_PROVIDER, startGatewayDouble } from './gateway-contract.js';
import type { LoopbackServer } from '#common/testing/loopback';

/** Reported as its readiness: it claims a key it never uses. */
const CLAIMED_ISSUER = 'refuse-all';

export function startRefuseAllGateway(): Promise<LoopbackServer> {
  return startGatewayDouble({
    authenticate: async () => FORBIDDEN_BY_AUTH_PROVIDER,
    readiness: async () => [{ issuer: CLAIMED_ISSUER, keys: 1, lastError: null }],
  });
}
