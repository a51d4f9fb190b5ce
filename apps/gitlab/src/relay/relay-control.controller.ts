import { Body, Get, Inject, Optional, Put } from '@nestjs/common';
import { CONTROL_ROUTE, type RelayTarget } from '#contracts';
import { HarnessControl } from '#common';
import { parseBody, relayBody } from '../control/control.schemas.js';
import { notFound } from '../errors.js';
import { SaasTokenRelay } from './saas-token-relay.service.js';

/**
 * GET and PUT /-/harness/relay: where a self-managed instance relays (seed 001). The harness
 * points it at its own fault servers (refusing, hanging, answering 5xx or garbage) and back; reset
 * restores SAAS_URL. SaaS has no relay: 404 `Relay`.
 */
@HarnessControl()
export class RelayControlController {
  constructor(@Optional() @Inject(SaasTokenRelay) private readonly relay: SaasTokenRelay | undefined) {}

  @Get(CONTROL_ROUTE.RELAY)
  target(): RelayTarget {
    return this.selfManagedRelay().target;
  }

  @Put(CONTROL_ROUTE.RELAY)
  retarget(@Body() body: unknown): RelayTarget {
    const relay = this.selfManagedRelay();
    return relay.retarget(parseBody(relayBody, body));
  }

  private selfManagedRelay(): SaasTokenRelay {
    if (!this.relay) throw notFound('Relay');
    return this.relay;
  }
}
