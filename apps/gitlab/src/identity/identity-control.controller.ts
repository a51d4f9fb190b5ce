import { Body, Get, Inject, Param, Put } from '@nestjs/common';
import { CONTROL_ROUTE, type GroupCodeSuggestions } from '#contracts';
import { HarnessControl } from '#common';
import { groupBody, parseBody } from '../control/control.schemas.js';
import { notFound } from '../errors.js';
import { type GitlabGroup, IdentityService } from './identity.service.js';

/** Code suggestions of a group through the harness control API (seed 001: SaaS answers 401 when none of the user's groups has them). */
@HarnessControl()
export class IdentityControlController {
  constructor(@Inject(IdentityService) private readonly identity: IdentityService) {}

  @Get(CONTROL_ROUTE.GROUP)
  group(@Param('path') path: string): GroupCodeSuggestions {
    return view(this.identity.findGroup(path));
  }

  @Put(CONTROL_ROUTE.GROUP)
  setGroup(@Param('path') path: string, @Body() body: unknown): GroupCodeSuggestions {
    const { code_suggestions_enabled } = parseBody(groupBody, body);
    return view(this.identity.setGroupCodeSuggestions(path, code_suggestions_enabled));
  }
}

function view(group: GitlabGroup | undefined): GroupCodeSuggestions {
  if (!group) throw notFound('Group');
  return { path: group.path, code_suggestions_enabled: group.codeSuggestionsEnabled };
}
