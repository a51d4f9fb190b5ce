import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { MonitoringController } from './monitoring.controller.js';

@Module({ imports: [AuthModule], controllers: [MonitoringController] })
export class MonitoringModule {}
