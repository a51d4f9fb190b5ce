import { Module } from '@nestjs/common';
import type { DemoInstance } from '../../../../contracts/src/index.js';
import { INSTANCE_FIXTURE } from '../instance/tokens.js';
import { FeatureFlagsService } from './feature-flags.service.js';

@Module({
  providers: [{ provide: FeatureFlagsService, useFactory: (fixture: DemoInstance) => new FeatureFlagsService(fixture), inject: [INSTANCE_FIXTURE] }],
  exports: [FeatureFlagsService],
})
export class FeatureFlagsModule {}
