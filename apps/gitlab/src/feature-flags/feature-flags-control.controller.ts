import { Body, Get, Inject, Param, Put } from '@nestjs/common';
import { CONTROL_ROUTE, type FeatureFlagState } from '#contracts';
import { HarnessControl } from '#common';
import { FEATURE_FLAG_NAME, featureFlagBody, parseBody } from '../control/control.schemas.js';
import { badRequest, notFound } from '../errors.js';
import { IdentityService } from '../identity/identity.service.js';
import { FeatureFlagsService } from './feature-flags.service.js';

/** Feature flags through the harness control API (GET and PUT /-/harness/feature-flags/{name}). */
@HarnessControl()
export class FeatureFlagsControlController {
  constructor(
    @Inject(FeatureFlagsService) private readonly flags: FeatureFlagsService,
    @Inject(IdentityService) private readonly identity: IdentityService,
  ) {}

  @Get(CONTROL_ROUTE.FEATURE_FLAG)
  get(@Param('name') name: string): FeatureFlagState {
    return this.flags.get(checkedName(name));
  }

  /** Usernames must exist before a flag is enabled for them (404 naming the others). */
  @Put(CONTROL_ROUTE.FEATURE_FLAG)
  set(@Param('name') name: string, @Body() body: unknown): FeatureFlagState {
    checkedName(name);
    const update = parseBody(featureFlagBody, body);
    const unknown = (update.actors ?? []).filter((a) => !this.identity.findUserByUsername(a));
    if (unknown.length) throw notFound('User', `actors: no user ${unknown.map((a) => `'${a}'`).join(', ')}`);
    return this.flags.set(name, update);
  }
}

function checkedName(name: string): string {
  if (!FEATURE_FLAG_NAME.test(name)) throw badRequest(`name: '${name}' is not a feature flag name (${FEATURE_FLAG_NAME.source})`);
  return name;
}
