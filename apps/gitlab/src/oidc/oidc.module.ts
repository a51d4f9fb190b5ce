import { Module } from '@nestjs/common';
import { SigningModule } from '../signing/signing.module.js';
import { OidcAvailability } from './oidc-availability.js';
import { OidcController } from './oidc.controller.js';

/** OidcAvailability is shared (one module instance per app) by the discovery/JWKS routes and the control API that switches it. */
@Module({ imports: [SigningModule], controllers: [OidcController], providers: [OidcAvailability], exports: [OidcAvailability] })
export class OidcModule {}
