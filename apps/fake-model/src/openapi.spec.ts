import { describeOpenApiContract } from '../../common/src/testing/openapi-contract.js';
import { fakeModel } from './app.js';

describeOpenApiContract('fake-model.yaml', fakeModel);
