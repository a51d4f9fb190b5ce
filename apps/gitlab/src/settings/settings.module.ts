import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { ApplicationSettingsController } from './application-settings.controller.js';
import { SettingsCoreModule } from './settings-core.module.js';

/** The admin API over the application settings (GET/PUT /api/v4/application/settings). */
@Module({
  imports: [SettingsCoreModule, AuthModule],
  controllers: [ApplicationSettingsController],
})
export class SettingsModule {}
