import { Body, Get, Inject, Put } from '@nestjs/common';
import { z } from 'zod';
import { CONTROL_ROUTE, type OidcAvailabilityState } from '#contracts';
import { HarnessControl } from '#common';
import { parseBody } from '../control/control.schemas.js';
import { OidcAvailability } from './oidc-availability.js';

const availabilityBody = z.object({ available: z.boolean() }).strict();

/**
 * GET and PUT /-/harness/oidc: take the instance's discovery and JWKS down (503) and bring them
 * back, to see how a gateway copes with an issuer outage (jwks-lifecycle scenario).
 */
@HarnessControl()
export class OidcControlController {
  constructor(@Inject(OidcAvailability) private readonly availability: OidcAvailability) {}

  @Get(CONTROL_ROUTE.OIDC)
  get(): OidcAvailabilityState {
    return { available: this.availability.available };
  }

  @Put(CONTROL_ROUTE.OIDC)
  set(@Body() body: unknown): OidcAvailabilityState {
    return this.availability.set(parseBody(availabilityBody, body).available);
  }
}
