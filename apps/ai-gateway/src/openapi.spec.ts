import { describeOpenApiContract } from '#common/testing/openapi-contract';
import { aiGateway } from './app.js';

// Port 9 (discard): nothing is fetched while the routes are read.
describeOpenApiContract('ai-gateway.yaml', aiGateway, [{ AIGW_TRUSTED_ISSUERS: 'http://127.0.0.1:9', AIGW_MODEL_URL: 'http://127.0.0.1:9' }]);
