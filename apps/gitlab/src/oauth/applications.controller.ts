import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, UseGuards } from '@nestjs/common';
import { OAUTH_PATH, type OAuthApplicationView, type OAuthApplicationWithSecret } from '#contracts';
import { ContractHttpException } from '#common';
import { AdminGuard } from '../auth/admin.guard.js';
import { coerceBoolean } from '../settings/settings.params.js';
import { ApiGuard } from '../auth/api.guard.js';
import { OAuthApplications } from './oauth-applications.service.js';

const NOT_FOUND = { message: '404 Application Not Found' };

/**
 * GitLab's admin API for OAuth applications (API::Applications, admin only): POST creates
 * (`name`, `redirect_uri`, `scopes` space-separated, `confidential` default true) and answers
 * the application with its secret; GET lists; DELETE removes with its tokens. A missing
 * parameter is Grape's 400 `{"error": "<param> is missing, ..."}`.
 */
@Controller()
@UseGuards(ApiGuard, AdminGuard)
export class ApplicationsController {
  constructor(@Inject(OAuthApplications) private readonly applications: OAuthApplications) {}

  @Post(OAUTH_PATH.APPLICATIONS)
  @HttpCode(201)
  create(@Body() body: unknown): Promise<OAuthApplicationWithSecret> {
    const params = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    const missing = ['name', 'redirect_uri', 'scopes'].filter((p) => typeof params[p] !== 'string' || (params[p] as string).trim() === '');
    // Grape's Boolean coercion, as for the application settings.
    const confidential = params.confidential === undefined ? true : coerceBoolean(params.confidential);
    const problems = [...missing.map((p) => `${p} is missing`), ...(confidential === undefined ? ['confidential is invalid'] : [])];
    if (problems.length) throw new ContractHttpException({ error: problems.join(', ') }, 400);
    return this.applications.create({
      name: params.name as string,
      redirectUri: params.redirect_uri as string,
      scopes: (params.scopes as string).split(/[\s,]+/).filter(Boolean),
      confidential: confidential !== false,
    });
  }

  @Get(OAUTH_PATH.APPLICATIONS)
  list(): Promise<OAuthApplicationView[]> {
    return this.applications.list();
  }

  @Delete(`${OAUTH_PATH.APPLICATIONS}/:id`)
  @HttpCode(204)
  async remove(@Param('id') id: string): Promise<void> {
    if (!/^\d{1,9}$/.test(id) || !(await this.applications.delete(Number(id)))) throw new ContractHttpException(NOT_FOUND, 404);
  }
}
