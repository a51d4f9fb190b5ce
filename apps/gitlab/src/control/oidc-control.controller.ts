import { Body, Controller, Get, Inject, Put, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import { PATH } from '../../../../contracts/src/index.js';
import { HarnessControlGuard } from '../../../common/src/index.js';
import { OidcAvailability } from '../oidc/oidc-availability.js';
import { parseBody } from './control.schemas.js';

const availabilityBody = z.object({ available: z.boolean() }).strict();

/**
 * Harness control API: take the instance's discovery and JWKS down (503) and bring them back,
 * to see how a gateway copes with an issuer outage (jwks-lifecycle scenario).
 */
@Controller(`${PATH.HARNESS_CONTROL_PREFIX}/oidc`)
@UseGuards(HarnessControlGuard)
export class OidcControlController {
  constructor(@Inject(OidcAvailability) private readonly availability: OidcAvailability) {}

  @Get()
  get(): { available: boolean } {
    return { available: this.availability.available };
  }

  @Put()
  set(@Body() body: unknown): { available: boolean } {
    return this.availability.set(parseBody(availabilityBody, body).available);
  }
}
