import { Body, Controller, Delete, Get, Module, Param, Post, Put } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Writable } from 'node:stream';
import { createHttpApp } from './bootstrap.js';
import { ContractHttpException, errorHandlingProviders } from './exceptions.js';
import { timeoutCheckIntervalMs } from './http-server.js';
import { createLogger } from './logger.js';
import { rawExchange } from './testing/http-probe.js';

const logged: string[] = [];
const logger = createLogger({
  app: 'filter-test',
  level: 'trace',
  destination: new Writable({ write: (c, _e, d) => (logged.push(String(c)), d()) }),
});
const LOGGER = Symbol('LOGGER');

const PAT = 'glpat-Zq8xY2pLm3Nw4Rt5Uv6W';
const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl';
const TIMEOUTS = { headersTimeoutMs: 400, requestTimeoutMs: 800 };

@Controller()
class ProbeController {
  @Get('contract') contract() {
    throw new ContractHttpException({ error: 'No authorization header presented' }, 401, { 'www-authenticate': 'Bearer' });
  }
  @Get('quote/:name') quote(@Param('name') name: string) {
    throw new ContractHttpException({ message: `400 Bad request - '${name}' is not a flag` }, 400);
  }
  @Get('crash') crash() {
    throw new Error('database password is hunter2 and token glpat-leaky-token');
  }
  @Post('echo') echo(@Body() body: unknown) {
    return body;
  }
  @Get('items/:id') item(@Param('id') id: string) {
    return { id };
  }
  @Put('items/:id') putItem(@Param('id') id: string) {
    return { id };
  }
  @Delete('items/:id') deleteItem(@Param('id') id: string) {
    return { id };
  }
}

@Module({
  controllers: [ProbeController],
  providers: [{ provide: LOGGER, useValue: logger }, ...errorHandlingProviders((status, reason) => ({ detail: `${status}: ${reason}` }), LOGGER)],
})
class ProbeModule {}

describe('ContractExceptionFilter and the HTTP hygiene of createHttpApp', () => {
  let app: NestFastifyApplication;
  let url: string;
  let port: number;

  beforeAll(async () => {
    app = await createHttpApp({ module: ProbeModule, logger, bodyLimit: 64, timeouts: TIMEOUTS, accessLog: true });
    await app.listen(0, '127.0.0.1');
    port = (app.getHttpServer().address() as { port: number }).port;
    url = `http://127.0.0.1:${port}`;
  });
  afterAll(() => app.close());

  it('sends contract errors verbatim with their headers', async () => {
    const res = await fetch(`${url}/contract`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(await res.json()).toEqual({ error: 'No authorization header presented' });
  });

  it('scrubs a credential an app quoted into a contract error, keeping the rest of its wording', async () => {
    const res = await fetch(`${url}/quote/${PAT}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ message: "400 Bad request - 'glpat-[REDACTED]' is not a flag" });
  });

  it("answers unknown routes in the app's own shape, never echoing the path or the query", async () => {
    const res = await fetch(`${url}/nowhere/${PAT}?private_token=${PAT}&jwt=${JWT}`);
    expect(res.status).toBe(404);
    expect(await res.text()).toBe(JSON.stringify({ detail: '404: Not Found' }));
  });

  it('answers a known path with another method 405, Allow listing its methods (parametric route)', async () => {
    const res = await fetch(`${url}/items/${PAT}?private_token=${PAT}`, { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD, PUT, DELETE');
    expect(await res.text()).toBe(JSON.stringify({ detail: '405: Method Not Allowed' }));
    const options = await fetch(`${url}/echo`, { method: 'OPTIONS' });
    expect([options.status, options.headers.get('allow')]).toEqual([405, 'POST']);
  });

  it('answers a malformed URL 400 and an over-long path parameter 414 without quoting the path', async () => {
    const bad = await rawExchange(port, `GET /%zz/${PAT} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect([bad.status, bad.body]).toEqual([400, JSON.stringify({ detail: '400: Malformed URL' })]);
    const long = await fetch(`${url}/items/${'x'.repeat(200)}${PAT}`);
    expect(long.status).toBe(414);
    expect(await long.text()).toBe(JSON.stringify({ detail: '414: A path segment is too long' }));
  });

  it('answers malformed JSON with 400 without quoting the body, and an oversized body with 413', async () => {
    const bad = await fetch(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"a": ${PAT}` });
    expect(bad.status).toBe(400);
    const text = await bad.text();
    expect(text).not.toContain(PAT.slice(6));
    expect((JSON.parse(text) as { detail: string }).detail).toMatch(/^400: Body is not valid JSON/);
    const big = await fetch(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pad: 'x'.repeat(200) }) });
    expect(big.status).toBe(413);
  });

  it('turns a crash into a generic 500 and logs it without the secret', async () => {
    const res = await fetch(`${url}/crash`);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain('hunter2');
    expect(JSON.parse(text)).toEqual({ detail: '500: Internal Server Error' });
    const log = logged.join('');
    expect(log).toContain('unhandled error');
    expect(log).not.toContain('glpat-leaky-token');
  });

  it('answers 408 and closes the connection when a body stalls half-sent', async () => {
    const answer = await rawExchange(port, `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{"half": "`);
    expect(answer.status).toBe(408);
    expect(answer.headers.connection).toBe('close');
    expect(answer.body).toBe(JSON.stringify({ detail: '408: Request Timeout' }));
    expect(answer.closedByServer).toBe(true);
    // Never before the bound; at most one check interval after it (plus scheduling slack).
    expect(answer.elapsedMs).toBeGreaterThanOrEqual(TIMEOUTS.requestTimeoutMs - 50);
    expect(answer.elapsedMs).toBeLessThan(TIMEOUTS.requestTimeoutMs + timeoutCheckIntervalMs(TIMEOUTS) + 2000);
  });

  it('answers 408 and closes the connection when headers stall', async () => {
    const answer = await rawExchange(port, `GET /items/1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${JWT}\r\n`);
    expect([answer.status, answer.closedByServer]).toEqual([408, true]);
    expect(answer.elapsedMs).toBeGreaterThanOrEqual(TIMEOUTS.headersTimeoutMs - 50);
    expect(answer.elapsedMs).toBeLessThan(TIMEOUTS.headersTimeoutMs + timeoutCheckIntervalMs(TIMEOUTS) + 2000);
  });

  it("answers headers too large 431 in the app's shape and logs no byte of the request", async () => {
    const answer = await rawExchange(port, `GET /items/1 HTTP/1.1\r\nHost: x\r\nX-Pad: ${'p'.repeat(20_000)}\r\nPrivate-Token: ${PAT}\r\n\r\n`);
    expect([answer.status, answer.body]).toEqual([431, JSON.stringify({ detail: '431: Request Header Fields Too Large' })]);
    expect(logged.join('')).toContain('"clientError":"HPE_HEADER_OVERFLOW"');
  });

  it('never logs a credential it was sent (path, query, Authorization of a stalled request)', async () => {
    await (await fetch(`${url}/items/${PAT}?private_token=${PAT}&jwt=${JWT}`)).text();
    await (await fetch(`${url}/nowhere/${PAT}?private_token=${PAT}&jwt=${JWT}`)).text();
    await rawExchange(port, `GET /items/1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${JWT}\r\n`);
    const log = logged.join('');
    for (const secret of [PAT.slice(6), 'c2lnbmF0dXJl']) expect(log).not.toContain(secret);
    expect(log).toContain('/items/glpat-[REDACTED]');
  });
});
