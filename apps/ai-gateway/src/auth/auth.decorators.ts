import { Reflector } from '@nestjs/core';
import { GATEWAY_CODE_COMPLETIONS_FORBIDDEN, UNIT_PRIMITIVE } from '#contracts';

/** The unit primitive a route requires in the token's `scopes` (ai_gateway's per-endpoint authorization). */
export const RequiresUnitPrimitive = Reflector.createDecorator<string>();

/** Routes that skip token authentication (monitoring; the harness control API, which has its own guard). */
export { PUBLIC_ROUTE, PublicRoute } from '#common';

/** The 403 `detail` for a missing unit primitive, as the production gateway words it. */
export function unitPrimitiveForbiddenDetail(primitive: string): string {
  return primitive === UNIT_PRIMITIVE.CODE_SUGGESTIONS ? GATEWAY_CODE_COMPLETIONS_FORBIDDEN : `Unauthorized to access ${primitive}`;
}
