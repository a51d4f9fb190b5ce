import { describeOpenApiContract } from '../../common/src/testing/openapi-contract.js';
import { CompletionsController } from './completions/completions.controller.js';
import { ControlController } from './control/control.controller.js';
import { MonitoringController } from './monitoring/monitoring.controller.js';

describeOpenApiContract('ai-gateway.yaml', [CompletionsController, MonitoringController, ControlController]);
