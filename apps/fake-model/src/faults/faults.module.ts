import { Module } from '@nestjs/common';
import { FaultInjector } from './fault-injector.js';

/** Holds the one FaultInjector of the process (completions and the control API share it). */
@Module({ providers: [FaultInjector], exports: [FaultInjector] })
export class FaultsModule {}
