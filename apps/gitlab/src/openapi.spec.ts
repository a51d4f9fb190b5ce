import { describeOpenApiContract } from '../../common/src/testing/openapi-contract.js';
import { CodeSuggestionsTokensController } from './ai-access/code-suggestions-tokens.controller.js';
import { ControlController } from './control/control.controller.js';
import { HealthController } from './health/health.controller.js';
import { OidcController } from './oidc/oidc.controller.js';
import { SessionsController } from './sessions/sessions.controller.js';
import { ApplicationSettingsController } from './settings/application-settings.controller.js';
import { UsersController } from './users/users.controller.js';

describeOpenApiContract('gitlab.yaml', [
  ApplicationSettingsController,
  CodeSuggestionsTokensController,
  ControlController,
  HealthController,
  OidcController,
  SessionsController,
  UsersController,
]);
