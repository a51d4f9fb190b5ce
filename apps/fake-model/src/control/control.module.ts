import { Module } from '@nestjs/common';
import { FaultsModule } from '../faults/faults.module.js';
import { ControlController } from './control.controller.js';

@Module({ imports: [FaultsModule], controllers: [ControlController] })
export class ControlModule {}
