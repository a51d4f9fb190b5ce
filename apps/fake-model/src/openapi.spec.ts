import { HarnessControlController } from '../../common/src/index.js';
import { describeOpenApiContract } from '../../common/src/testing/openapi-contract.js';
import { CompletionsController } from './completions/completions.controller.js';
import { FaultsControlController } from './faults/faults-control.controller.js';
import { HealthController } from './health/health.controller.js';

describeOpenApiContract('fake-model.yaml', [CompletionsController, HealthController, HarnessControlController, FaultsControlController]);
