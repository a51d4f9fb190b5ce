import { Module } from '@nestjs/common';
import { SigningModule } from '../signing/signing.module.js';
import { OidcController } from './oidc.controller.js';

@Module({ imports: [SigningModule], controllers: [OidcController] })
export class OidcModule {}
