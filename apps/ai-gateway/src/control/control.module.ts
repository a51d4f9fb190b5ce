import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { ControlController } from './control.controller.js';

@Module({ imports: [AuthModule], controllers: [ControlController] })
export class ControlModule {}
