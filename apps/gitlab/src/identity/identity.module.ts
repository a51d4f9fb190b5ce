import { Module } from '@nestjs/common';
import type { DemoInstance } from '#contracts';
import { CLOCK, type Clock, INSTANCE_FIXTURE } from '../instance/di.js';
import { IdentityService } from './identity.service.js';

/** Users, groups and personal access tokens of the instance. */
@Module({
  providers: [
    {
      provide: IdentityService,
      useFactory: (fixture: DemoInstance, clock: Clock) => IdentityService.create(fixture, clock),
      inject: [INSTANCE_FIXTURE, CLOCK],
    },
  ],
  exports: [IdentityService],
})
export class IdentityModule {}
