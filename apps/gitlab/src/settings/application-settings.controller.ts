import { Body, Controller, Get, Inject, Put, Query, UseGuards } from '@nestjs/common';
import { PATH } from '#contracts';
import { AdminGuard } from '../auth/admin.guard.js';
import { ApiGuard } from '../auth/api.guard.js';
import { badRequest } from '../errors.js';
import { InstanceSettings, type InstanceSettingsView, InvalidSettingError } from './instance-settings.service.js';
import { parseAdminSettingsParams } from './settings.params.js';

export const APPLICATION_SETTINGS_PATH = PATH.GITLAB_APPLICATION_SETTINGS;

/**
 * GitLab's admin API for application settings (API::Settings), reduced to the two settings of
 * seed 001. Authenticated as GitLab does it (`authenticated_as_admin!`): a personal access
 * token with `api` (`read_api` for GET) or a session (+ CSRF on PUT), then 403 unless admin.
 *
 * Deviation from GitLab, on purpose: both routes answer only
 * `{code_suggestions_enabled, ai_access_token_set}`. GitLab returns most settings; the stored
 * service access token is never returned here, in any form.
 */
@Controller()
@UseGuards(ApiGuard, AdminGuard)
export class ApplicationSettingsController {
  constructor(@Inject(InstanceSettings) private readonly settings: InstanceSettings) {}

  @Get(APPLICATION_SETTINGS_PATH)
  show(): InstanceSettingsView {
    return this.settings.view();
  }

  @Put(APPLICATION_SETTINGS_PATH)
  update(@Query() query: unknown, @Body() body: unknown): InstanceSettingsView {
    const change = parseAdminSettingsParams(query, body);
    try {
      return this.settings.update(change);
    } catch (e) {
      if (e instanceof InvalidSettingError) throw badRequest(e.message);
      throw e;
    }
  }
}
