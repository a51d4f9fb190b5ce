import { Body, Get, HttpCode, Inject, Optional, Post, Put } from '@nestjs/common';
import { CONTROL_ROUTE, type GatewayAuthSettings, type GatewayAuthSettingsUpdate, type JwksCacheState } from '#contracts';
import { ContractHttpException, HarnessControl } from '#common';
import { UnparsableBody } from '../http/lenient-body-parsing.js';
import { AuthSettings } from './auth-settings.js';
import { JwksCache } from './jwks-cache.js';
import { OAuthTokenVerifier } from './oauth-token-verifier.js';

/** The gateway's part of the harness control API: its key cache and its verification settings. */
@HarnessControl()
export class AuthControlController {
  constructor(
    @Inject(JwksCache) private readonly keys: JwksCache,
    @Inject(AuthSettings) private readonly settings: AuthSettings,
    @Optional() @Inject(OAuthTokenVerifier) private readonly oauth: OAuthTokenVerifier | null = null,
  ) {}

  @Get(CONTROL_ROUTE.JWKS_CACHE)
  jwksCache(): JwksCacheState {
    return { issuers: this.keys.snapshot() };
  }

  /** Cold cache: every key and fetch record forgotten; the next token loads again. */
  @Post(CONTROL_ROUTE.JWKS_CACHE_CLEAR)
  @HttpCode(204)
  clearJwksCache(): void {
    this.keys.clear();
  }

  /**
   * Seed 000 option 1: every cached answer about OAuth tokens forgotten, so the next keystroke
   * asks GitLab (a check of the revocation bound need not wait AIGW_OAUTH_CACHE_SECONDS).
   * Nothing to forget while OAuth token verification is off.
   */
  @Post(CONTROL_ROUTE.OAUTH_CACHE_CLEAR)
  @HttpCode(204)
  clearOAuthCache(): void {
    this.oauth?.clear();
  }

  @Get(CONTROL_ROUTE.AUTH)
  auth(): GatewayAuthSettings {
    return this.settings.snapshot();
  }

  /** Changes the audience and/or the legacy-audience window at run time (audience-migration scenario). */
  @Put(CONTROL_ROUTE.AUTH)
  updateAuth(@Body() body: unknown): GatewayAuthSettings {
    return this.settings.update(parseAuthChange(body));
  }
}

/** The body of PUT /-/harness/auth (contracts `authSettingsUpdate`), or a 400 `{detail}` naming the member. */
export function parseAuthChange(body: unknown): GatewayAuthSettingsUpdate {
  const bad = (detail: string) => new ContractHttpException({ detail }, 400);
  if (!body || typeof body !== 'object' || Array.isArray(body) || body instanceof UnparsableBody) throw bad("body must be a JSON object {audience?, legacyAudienceWindow?: 'open'|'closed'}");
  const change: GatewayAuthSettingsUpdate = {};
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
