import { PATH } from '#contracts';
import { itKeepsHttpHygiene } from '#common/testing/http-hygiene-suite';
import { fakeModel, fakeModelErrorShape } from './app.js';

describe('fake-model HTTP hygiene (real sockets)', () => {
  itKeepsHttpHygiene({
    app: fakeModel,
    shape: fakeModelErrorShape,
    postRoute: PATH.MODEL_COMPLETIONS,
    wrongMethod: { method: 'DELETE', path: PATH.MODEL_COMPLETIONS, allow: 'POST' },
  });
});
