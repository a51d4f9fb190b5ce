import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BodyTooLargeError } from '#common';
import { PooledFetch } from './pooled-fetch.js';

/** A model stand-in: answers each path as the table says, counting the connections it accepted. */
async function modelServer(): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/ok') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ echoed: req.headers['x-probe'] }));
      else if (req.url === '/announced-large') res.writeHead(200, { 'content-length': '5000' }).end('x'.repeat(5000));
      else if (req.url === '/chunked-large') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('y'.repeat(3000));
        res.end('y'.repeat(3000));
      } else res.writeHead(503, { 'content-type': 'text/plain' }).end('model down');
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('PooledFetch.post: the completions model call without a Fetch Response', () => {
  const pooled = new PooledFetch();
  let model: Awaited<ReturnType<typeof modelServer>>;
  beforeAll(async () => {
    model = await modelServer();
  });
  afterAll(async () => {
    await pooled.onModuleDestroy();
    await model.close();
  });
  const post = (path: string) => pooled.post(`${model.url}${path}`, { 'content-type': 'application/json', 'x-probe': 'p1' }, '{}', new AbortController().signal);

  it('sends the headers and body, and reads the answer as text within the limit', async () => {
    const reply = await post('/ok');
    expect(reply.status).toBe(200);
    expect(JSON.parse(await reply.text(1024))).toEqual({ echoed: 'p1' });
  });

  it('refuses a body whose Content-Length is over the limit before reading it, and one that grows past it while read', async () => {
    await expect((await post('/announced-large')).text(4096)).rejects.toEqual(expect.objectContaining({ limitBytes: 4096, seenBytes: 5000 }));
    const growing = (await post('/chunked-large')).text(4096);
    await expect(growing).rejects.toBeInstanceOf(BodyTooLargeError);
    expect(await (await post('/chunked-large')).text(6000)).toBe('y'.repeat(6000));
  });

  it('drops a body it does not want (a bad status) and keeps the connection for the next call', async () => {
    const before = model.connections();
    const failed = await post('/down');
    expect(failed.status).toBe(503);
    failed.discard();
    expect((await post('/ok')).status).toBe(200);
    expect(model.connections()).toBe(before);
  });

  it('rejects when the call is aborted', async () => {
    const abort = new AbortController();
    abort.abort();
    await expect(pooled.post(`${model.url}/ok`, {}, '{}', abort.signal)).rejects.toThrow();
  });
});
