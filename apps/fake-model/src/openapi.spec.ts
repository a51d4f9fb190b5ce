import { describeOpenApiContract } from '../../common/src/testing/openapi-contract.js';
import { CompletionsController } from './completions/completions.controller.js';
import { ControlController } from './control/control.controller.js';
import { HealthController } from './health/health.controller.js';

describeOpenApiContract('fake-model.yaml', [CompletionsController, HealthController, ControlController]);
