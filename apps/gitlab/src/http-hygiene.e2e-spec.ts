import { PATH } from '#contracts';
import { itKeepsHttpHygiene } from '#common/testing/http-hygiene-suite';
import { gitlab } from './app.js';
import { gitlabErrorShape } from './errors.js';

describe('gitlab HTTP hygiene (real sockets)', () => {
  itKeepsHttpHygiene({
    app: gitlab,
    env: { GITLAB_MODE: 'saas' },
    shape: gitlabErrorShape,
    postRoute: PATH.GITLAB_CODE_SUGGESTIONS_TOKENS,
    // A parametric route of the control API: GET and PUT /-/harness/feature-flags/:name.
    wrongMethod: { method: 'POST', path: `${PATH.HARNESS_CONTROL_PREFIX}/feature-flags/some_flag`, allow: 'GET, HEAD, PUT' },
  });
});
