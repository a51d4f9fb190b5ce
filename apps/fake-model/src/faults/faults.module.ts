import { Module, type OnModuleDestroy, Inject } from '@nestjs/common';
import { FAKE_MODEL_CONFIG } from '../tokens.js';
import type { FakeModelConfig } from '../config.js';
import { FaultInjector } from './fault-injector.js';

/** Holds the one FaultInjector of the process; releases hanging requests before the server closes. */
@Module({
  providers: [
    {
      provide: FaultInjector,
      inject: [FAKE_MODEL_CONFIG],
      useFactory: (config: FakeModelConfig) => new FaultInjector(config.FAKE_MODEL_LATENCY_MS),
    },
  ],
  exports: [FaultInjector],
})
export class FaultsModule implements OnModuleDestroy {
  constructor(@Inject(FaultInjector) private readonly faults: FaultInjector) {}

  // Nest runs onModuleDestroy before it closes the HTTP server, so hung sockets are gone by then.
  onModuleDestroy(): void {
    this.faults.close();
  }
}
