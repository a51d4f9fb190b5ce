import { Controller, Get, Module, Post, Body } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Writable } from 'node:stream';
import { createHttpApp } from './bootstrap.js';
import { ContractExceptionFilter, ContractHttpException } from './exceptions.js';
import { createLogger } from './logger.js';

const logged: string[] = [];
const logger = createLogger({
  app: 'filter-test',
  level: 'error',
  destination: new Writable({ write: (c, _e, d) => (logged.push(String(c)), d()) }),
});

@Controller()
class ProbeController {
  @Get('contract') contract() {
    throw new ContractHttpException({ error: 'No authorization header presented' }, 401, { 'www-authenticate': 'Bearer' });
  }
  @Get('crash') crash() {
    throw new Error('database password is hunter2 and token glpat-leaky-token');
  }
  @Post('echo') echo(@Body() body: unknown) {
    return body;
  }
}

@Module({
  controllers: [ProbeController],
  providers: [{ provide: APP_FILTER, useFactory: () => new ContractExceptionFilter((status, reason) => ({ detail: `${status}: ${reason}` }), logger) }],
})
class ProbeModule {}

describe('ContractExceptionFilter', () => {
  let app: NestFastifyApplication;
  let url: string;

  beforeAll(async () => {
    app = await createHttpApp({ module: ProbeModule, logger, bodyLimit: 64 });
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  });
  afterAll(() => app.close());

  it('sends contract errors verbatim with their headers', async () => {
    const res = await fetch(`${url}/contract`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(await res.json()).toEqual({ error: 'No authorization header presented' });
  });

  it('answers unknown routes in the app\'s own shape', async () => {
    const res = await fetch(`${url}/nowhere`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ detail: '404: Cannot GET /nowhere' });
  });

  it('answers malformed JSON with 400 and an oversized body with 413', async () => {
    const bad = await fetch(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { detail: string }).detail).toMatch(/^400: /);
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
});
