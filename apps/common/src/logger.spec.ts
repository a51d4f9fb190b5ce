import { Writable } from 'node:stream';
import { createLogger } from './logger.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, stream };
}

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl';

describe('createLogger', () => {
  it('scrubs tokens from messages and censors credential headers', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ app: 'test', level: 'info', destination: stream });
    logger.info(`verifying ${JWT} for glpat-saas-dev-api`);
    logger.info({ headers: { authorization: `Bearer ${JWT}`, 'private-token': 'glpat-secret-token' } }, 'request');
    logger.info({ req: { method: 'GET', url: '/api/v4/user?private_token=glpat-in-query', headers: { 'user-agent': 'curl' } } }, 'incoming');
    const all = lines.join('');
    expect(all).not.toContain('c2lnbmF0dXJl');
    expect(all).not.toContain('glpat-saas-dev-api');
    expect(all).not.toContain('glpat-secret-token');
    expect(all).not.toContain('glpat-in-query');
    expect(all).toContain('"app":"test"');
    expect(all).toContain('curl');
  });
});
