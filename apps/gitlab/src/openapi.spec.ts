import { HarnessControlController } from '../../common/src/index.js';
import { describeOpenApiContract } from '../../common/src/testing/openapi-contract.js';
import { AiAccessControlController } from './ai-access/ai-access-control.controller.js';
import { CodeSuggestionsTokensController } from './ai-access/code-suggestions-tokens.controller.js';
import { FeatureFlagsControlController } from './feature-flags/feature-flags-control.controller.js';
import { HealthController } from './health/health.controller.js';
import { IdentityControlController } from './identity/identity-control.controller.js';
import { OidcControlController } from './oidc/oidc-control.controller.js';
import { OidcController } from './oidc/oidc.controller.js';
import { RelayControlController } from './relay/relay-control.controller.js';
import { SessionsController } from './sessions/sessions.controller.js';
import { ApplicationSettingsController } from './settings/application-settings.controller.js';
import { SettingsControlController } from './settings/settings-control.controller.js';
import { SigningControlController } from './signing/signing-control.controller.js';
import { UsersController } from './users/users.controller.js';

describeOpenApiContract('gitlab.yaml', [
  ApplicationSettingsController,
  CodeSuggestionsTokensController,
  HealthController,
  OidcController,
  SessionsController,
  UsersController,
  HarnessControlController,
  AiAccessControlController,
  SigningControlController,
  FeatureFlagsControlController,
  IdentityControlController,
  SettingsControlController,
  RelayControlController,
  OidcControlController,
]);
