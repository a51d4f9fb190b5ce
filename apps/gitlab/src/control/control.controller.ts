import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Query, UseGuards } from '@nestjs/common';
import { PATH } from '../../../../contracts/src/index.js';
import { HarnessControlGuard, type LoggedRequest, type RequestLog, parseRequestLogQuery } from '../../../common/src/index.js';
import type { MintedAccessToken } from '../ai-access/access-token.factory.js';
import { type AiTokenIssuerSettings, AiTokenSettings } from '../ai-access/ai-token-settings.service.js';
import { badRequest, conflict, notFound } from '../errors.js';
import { type FeatureFlagState, FeatureFlagsService } from '../feature-flags/feature-flags.service.js';
import { REQUEST_LOG } from '../instance/tokens.js';
import { IdentityService } from '../identity/identity.service.js';
import { InstanceSettings, type InstanceSettingsView } from '../settings/instance-settings.service.js';
import { controlSettingsBody } from '../settings/settings.params.js';
import { ActiveKeyError, type SigningKeyInfo, SigningKeys, UnknownKeyError } from '../signing/signing-keys.service.js';
import {
  FEATURE_FLAG_NAME,
  addKeyBody,
  aiTokenBody,
  featureFlagBody,
  groupBody,
  mintTokenBody,
  parseBody,
  parseOptionalBody,
  relayBody,
} from './control.schemas.js';
import { ControlService } from './control.service.js';

const P = PATH.HARNESS_CONTROL_PREFIX;

/**
 * The harness-only control API (never for production): exists only when the process was
 * started with HARNESS_CONTROL_TOKEN, and every call needs X-Harness-Control-Token.
 */
@Controller()
@UseGuards(HarnessControlGuard)
export class ControlController {
  constructor(
    @Inject(ControlService) private readonly control: ControlService,
    @Inject(SigningKeys) private readonly keys: SigningKeys,
    @Inject(FeatureFlagsService) private readonly flags: FeatureFlagsService,
    @Inject(AiTokenSettings) private readonly settings: AiTokenSettings,
    @Inject(REQUEST_LOG) private readonly requestLog: RequestLog,
    @Inject(InstanceSettings) private readonly instanceSettings: InstanceSettings,
    @Inject(IdentityService) private readonly identity: IdentityService,
  ) {}

  @Post(`${P}/tokens`)
  @HttpCode(201)
  mintToken(@Body() body: unknown): MintedAccessToken {
    return this.control.mintToken(parseOptionalBody(mintTokenBody, body));
  }

  @Get(`${P}/keys`)
  listKeys(): { active: string; keys: SigningKeyInfo[] } {
    return { active: this.keys.activeKid, keys: this.keys.list() };
  }

  @Post(`${P}/keys`)
  @HttpCode(201)
  async addKey(@Body() body: unknown): Promise<{ kid: string }> {
    const { activate } = parseOptionalBody(addKeyBody, body);
    return { kid: await this.keys.add({ activate: activate ?? true }) };
  }

  @Post(`${P}/keys/:kid/activate`)
  @HttpCode(200)
  activateKey(@Param('kid') kid: string): { kid: string } {
    try {
      this.keys.activate(kid);
    } catch (e) {
      if (e instanceof UnknownKeyError) throw notFound('Key');
      throw e;
    }
    return { kid };
  }

  @Delete(`${P}/keys/:kid`)
  @HttpCode(204)
  removeKey(@Param('kid') kid: string): void {
    try {
      this.keys.remove(kid);
    } catch (e) {
      if (e instanceof UnknownKeyError) throw notFound('Key');
      if (e instanceof ActiveKeyError) throw conflict(e.message);
      throw e;
    }
  }

  @Get(`${P}/feature-flags/:name`)
  featureFlag(@Param('name') name: string): FeatureFlagState {
    if (!FEATURE_FLAG_NAME.test(name)) throw badRequest(`name: '${name}' is not a feature flag name (${FEATURE_FLAG_NAME.source})`);
    return this.flags.get(name);
  }

  @Put(`${P}/feature-flags/:name`)
  setFeatureFlag(@Param('name') name: string, @Body() body: unknown): FeatureFlagState {
    if (!FEATURE_FLAG_NAME.test(name)) throw badRequest(`name: '${name}' is not a feature flag name (${FEATURE_FLAG_NAME.source})`);
    const update = parseBody(featureFlagBody, body);
    if (update.actors) this.control.checkActors(update.actors);
    return this.flags.set(name, update);
  }

  /** The AI access token generation in force: `{shape, audience, includeKid}` (includeKid as it applies now). */
  @Get(`${P}/ai-token`)
  aiTokenSettings(): AiTokenIssuerSettings {
    return this.settings.get();
  }

  /** Switches the generation and/or the kid choice (aiTokenBody); reset restores AI_TOKEN_SHAPE / AI_TOKEN_INCLUDE_KID. */
  @Put(`${P}/ai-token`)
  updateAiTokenSettings(@Body() body: unknown): AiTokenIssuerSettings {
    return this.settings.update(parseBody(aiTokenBody, body));
  }

  /**
   * The application settings of seed 001 (the same store as PUT /api/v4/application/settings):
   * meaningful on self-managed, harmless on SaaS. The token is never returned.
   */
  @Put(`${P}/settings`)
  updateSettings(@Body() body: unknown): InstanceSettingsView {
    return this.instanceSettings.update(parseBody(controlSettingsBody, body));
  }

  @Get(`${P}/groups/:path`)
  group(@Param('path') path: string): { path: string; code_suggestions_enabled: boolean } {
    const group = this.identity.findGroup(path);
    if (!group) throw notFound('Group');
    return { path: group.path, code_suggestions_enabled: group.codeSuggestionsEnabled };
  }

  /** Code suggestions on or off for a group (seed 001: SaaS answers 401 when none of the user's groups has them). */
  @Put(`${P}/groups/:path`)
  setGroup(@Param('path') path: string, @Body() body: unknown): { path: string; code_suggestions_enabled: boolean } {
    const { code_suggestions_enabled } = parseBody(groupBody, body);
    const group = this.identity.setGroupCodeSuggestions(path, code_suggestions_enabled);
    if (!group) throw notFound('Group');
    return { path: group.path, code_suggestions_enabled: group.codeSuggestionsEnabled };
  }

  /**
   * Self-managed only: where the relay goes (seed 001). The harness points it at its own fault
   * servers (refusing, hanging, answering 5xx or garbage) and back; reset restores SAAS_URL.
   */
  @Get(`${P}/relay`)
  relayTarget(): { saas_url: string; timeout_ms: number } {
    return this.describeRelay(this.relayClient());
  }

  @Put(`${P}/relay`)
  retargetRelay(@Body() body: unknown): { saas_url: string; timeout_ms: number } {
    const client = this.relayClient();
    const change = parseBody(relayBody, body);
    client.retarget({
      ...(change.saas_url !== undefined ? { saasUrl: change.saas_url } : {}),
      ...(change.timeout_ms !== undefined ? { timeoutMs: change.timeout_ms } : {}),
    });
    return this.describeRelay(client);
  }

  private relayClient() {
    if (!this.control.relay) throw notFound('Relay');
    return this.control.relay;
  }

  private describeRelay(client: { saasUrl: string; timeoutMs: number }): { saas_url: string; timeout_ms: number } {
    return { saas_url: client.saasUrl, timeout_ms: client.timeoutMs };
  }

  @Get(`${P}/requests`)
  requests(@Query() query: unknown): { requests: LoggedRequest[] } {
    const parsed = parseRequestLogQuery(query);
    if ('problem' in parsed) throw badRequest(parsed.problem);
    return { requests: this.requestLog.list(parsed.filter) };
  }

  @Post(`${P}/reset`)
  @HttpCode(204)
  reset(): void {
    this.control.reset();
  }
}
