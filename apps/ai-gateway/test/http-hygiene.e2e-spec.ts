import { once } from 'node:events';
import { connect } from 'node:net';
import { PATH } from '#contracts';
import { startTestApp, type TestApp } from '#common/testing/app';
import type { AiGatewayConfig } from '../src/config.js';
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

describe('ai-gateway: a refused keystroke on a kept-alive connection', () => {
  let app: TestApp<AiGatewayConfig>;
  beforeAll(async () => {
    app = await startTestApp(aiGateway, { AIGW_TRUSTED_ISSUERS: 'http://127.0.0.1:9', AIGW_MODEL_URL: 'http://127.0.0.1:9' });
  });
  afterAll(() => app?.close());

  it('reads the refused request body (never parsed: here it is not even JSON) and answers the next request on the same connection', async () => {
    const body = `{"current_file": ${'x'.repeat(20_000)}`;
    const refused = `POST ${PATH.GATEWAY_COMPLETIONS} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const socket = connect(app.port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    await once(socket, 'connect');
    // The body arrives in two parts, the second after a pause: the answer waits for it.
    socket.write(refused + body.slice(0, 10_000));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(Buffer.concat(received).length).toBe(0);
    socket.write(body.slice(10_000));
    socket.write(`GET ${PATH.GATEWAY_COMPLETIONS} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`two answers expected, got: ${Buffer.concat(received).toString()}`)), 5000);
      socket.on('data', () => {
        if ((Buffer.concat(received).toString().match(/HTTP\/1\.1 \d{3} /g) ?? []).length === 2) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    socket.destroy();
    const text = Buffer.concat(received).toString();
    expect(text.match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 401', 'HTTP/1.1 405']);
    expect(text).toContain('{"error":"No authorization header presented"}');
  });
});
