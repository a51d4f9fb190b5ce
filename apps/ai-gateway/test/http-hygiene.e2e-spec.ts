import { PATH } from '#contracts';
import { itKeepsHttpHygiene } from '#common/testing/http-hygiene-suite';
import { aiGateway, gatewayErrorShape } from '../src/app.js';

describe('ai-gateway HTTP hygiene (real sockets)', () => {
  itKeepsHttpHygiene({
    app: aiGateway,
    // Nothing listens on port 9 (discard): the suite never needs a key or a completion.
    env: { AIGW_TRUSTED_ISSUERS: 'http://127.0.0.1:9', AIGW_MODEL_URL: 'http://127.0.0.1:9' },
    shape: gatewayErrorShape,
    postRoute: PATH.GATEWAY_COMPLETIONS,
    wrongMethod: { method: 'GET', path: PATH.GATEWAY_COMPLETIONS, allow: 'POST' },
  });
});
