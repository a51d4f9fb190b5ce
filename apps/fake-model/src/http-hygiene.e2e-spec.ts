import { PATH } from '../../../contracts/src/index.js';
import { itKeepsHttpHygiene } from '../../common/src/testing/http-hygiene-suite.js';
import { fakeModel, fakeModelErrorShape } from './app.js';

describe('fake-model HTTP hygiene (real sockets)', () => {
  itKeepsHttpHygiene({
    app: fakeModel,
    shape: fakeModelErrorShape,
    postRoute: PATH.MODEL_COMPLETIONS,
    wrongMethod: { method: 'DELETE', path: PATH.MODEL_COMPLETIONS, allow: 'POST' },
  });
});
