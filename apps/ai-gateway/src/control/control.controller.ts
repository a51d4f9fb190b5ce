import { Body, Controller, Get, HttpCode, Inject, Post, Put, Query, UseGuards } from '@nestjs/common';
import { PATH } from '../../../../contracts/src/index.js';
import { ContractHttpException, HarnessControlGuard, RequestLog, type LoggedRequest, parseRequestLogQuery } from '../../../common/src/index.js';
import { PublicRoute } from '../auth/auth.decorators.js';
import { AuthSettings, type AuthSettingsSnapshot, type LegacyAudienceWindow } from '../auth/auth-settings.js';
import { JwksCache, type IssuerCacheSnapshot } from '../auth/jwks-cache.js';
import { UnparsableBody } from '../http/lenient-body-parsing.js';
import { AIGW_REQUEST_LOG } from '../tokens.js';

/**
 * Harness-only control API (exists only with HARNESS_CONTROL_TOKEN; every call needs the
 * X-Harness-Control-Token header). Never for production.
 */
@Controller(PATH.HARNESS_CONTROL_PREFIX)
@PublicRoute()
@UseGuards(HarnessControlGuard)
export class ControlController {
  constructor(
    @Inject(AIGW_REQUEST_LOG) private readonly requestLog: RequestLog,
    @Inject(JwksCache) private readonly keys: JwksCache,
    @Inject(AuthSettings) private readonly settings: AuthSettings,
  ) {}

  @Get('requests')
  requests(@Query() query: unknown): { requests: LoggedRequest[] } {
    const parsed = parseRequestLogQuery(query);
    if ('problem' in parsed) throw new ContractHttpException({ detail: parsed.problem }, 400);
    return { requests: this.requestLog.list(parsed.filter) };
  }

  @Get('jwks-cache')
  jwksCache(): { issuers: IssuerCacheSnapshot[] } {
    return { issuers: this.keys.snapshot() };
  }

  /** Cold cache: every key and fetch record forgotten; the next token loads again. */
  @Post('jwks-cache/clear')
  @HttpCode(204)
  clearJwksCache(): void {
    this.keys.clear();
  }

  @Get('auth')
  auth(): AuthSettingsSnapshot {
    return this.settings.snapshot();
  }

  /** Changes the audience and/or the legacy-audience window at run time (audience-migration scenario). */
  @Put('auth')
  updateAuth(@Body() body: unknown): AuthSettingsSnapshot {
    return this.settings.update(parseAuthChange(body));
  }
}

export function parseAuthChange(body: unknown): { audience?: string; legacyAudienceWindow?: LegacyAudienceWindow } {
  const bad = (detail: string) => new ContractHttpException({ detail }, 400);
  if (!body || typeof body !== 'object' || Array.isArray(body) || body instanceof UnparsableBody) throw bad("body must be a JSON object {audience?, legacyAudienceWindow?: 'open'|'closed'}");
  const change: { audience?: string; legacyAudienceWindow?: LegacyAudienceWindow } = {};
  for (const [field, value] of Object.entries(body)) {
    if (field === 'audience') {
      // Characters are code points, as JSON Schema's maxLength counts them (not UTF-16 units).
      if (typeof value !== 'string' || value.length === 0 || [...value].length > 255) throw bad('audience must be a non-empty string of at most 255 characters');
      change.audience = value;
    } else if (field === 'legacyAudienceWindow') {
      if (value !== 'open' && value !== 'closed') throw bad("legacyAudienceWindow must be 'open' or 'closed'");
      change.legacyAudienceWindow = value;
    } else {
      throw bad(`unknown field '${field}' (known: audience, legacyAudienceWindow)`);
    }
  }
  return change;
}
