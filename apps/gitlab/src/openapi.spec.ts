import { describeOpenApiContract } from '#common/testing/openapi-contract';
import { gitlab } from './app.js';

// One document for both deployments: its routes are those of SaaS and of self-managed together.
describeOpenApiContract('gitlab.yaml', gitlab, [{ GITLAB_MODE: 'saas' }, { GITLAB_MODE: 'self-managed', SAAS_URL: 'http://127.0.0.1:9' }]);
