import { HarnessControlController } from '../../common/src/index.js';
import { describeOpenApiContract } from '../../common/src/testing/openapi-contract.js';
import { AuthControlController } from './auth/auth-control.controller.js';
import { CompletionsController } from './completions/completions.controller.js';
import { MonitoringController } from './monitoring/monitoring.controller.js';

describeOpenApiContract('ai-gateway.yaml', [CompletionsController, MonitoringController, HarnessControlController, AuthControlController]);
