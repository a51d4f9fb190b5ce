import { describeOpenApiContract } from '#common/testing/openapi-contract';
import { fakeModel } from './app.js';

describeOpenApiContract('fake-model.yaml', fakeModel);
