import { Body, Inject, Put } from '@nestjs/common';
import { CONTROL_ROUTE } from '#contracts';
import { HarnessControl } from '#common';
import { parseBody } from '../control/control.schemas.js';
import { InstanceSettings, type InstanceSettingsView } from './instance-settings.service.js';
import { controlSettingsBody } from './settings.params.js';

/**
 * PUT /-/harness/settings: the application settings of seed 001 without an admin (the same store
 * as PUT /api/v4/application/settings), meaningful on self-managed, harmless on SaaS. The token
 * is never returned.
 */
@HarnessControl()
export class SettingsControlController {
  constructor(@Inject(InstanceSettings) private readonly settings: InstanceSettings) {}

  @Put(CONTROL_ROUTE.SETTINGS)
  update(@Body() body: unknown): InstanceSettingsView {
    return this.settings.update(parseBody(controlSettingsBody, body));
  }
}
