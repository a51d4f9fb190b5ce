import { Body, Controller, Get, Inject, Injectable, Module, Put } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { z } from 'zod';
import { HEADER, PATH } from '#contracts';
import { defineApp } from './app-definition.js';
import { checkHttpTimeouts, type ConfigOf, type ConfigSource, defineConfig, loadConfig, serverSettings } from './config.js';
import { HarnessControl, type HarnessResettable } from './control/harness-control.module.js';
import { APP_CONFIG } from './di.js';
import { createLogger } from './logger.js';
import { RequestLog } from './request-log.js';

const TOKEN = 'app-definition-e2e-control-token';
const resets: string[] = [];

const settings = defineConfig({
  app: 'demo',
  settings: { ...serverSettings(0), greeting: { env: 'DEMO_GREETING', flag: 'greeting', doc: 'what GET /hello answers', schema: z.string().default('hello') } },
  refine: [checkHttpTimeouts],
});
type DemoConfig = ConfigOf<typeof settings.settings>;
const load = (source: ConfigSource): DemoConfig => loadConfig(settings, source);

@Injectable()
class Greeting implements HarnessResettable {
  text: string;
  constructor(@Inject(APP_CONFIG) private readonly config: DemoConfig) {
    this.text = config.greeting;
  }
  reset(): void {
    resets.push('greeting');
    this.text = this.config.greeting;
  }
}

@Injectable()
class Audit implements HarnessResettable {
  reset(): void {
    resets.push('audit');
  }
}

@Controller()
class HelloController {
  constructor(@Inject(Greeting) private readonly greeting: Greeting) {}
  @Get('hello') hello() {
    return { text: this.greeting.text };
  }
}

/** The demo app's own control route, as a feature adds one. */
@HarnessControl()
class GreetingControl {
  constructor(@Inject(Greeting) private readonly greeting: Greeting) {}
  @Put('greeting') set(@Body() body: { text: string }) {
    this.greeting.text = body.text;
    return { text: this.greeting.text };
  }
}

@Module({ controllers: [HelloController], providers: [Greeting, Audit], exports: [Greeting, Audit] })
class GreetingModule {}

const demo = defineApp<DemoConfig>({
  name: 'demo',
  summary: 'an app built like the emulators',
  config: settings,
  load,
  errorShape: (_status, reason) => ({ problem: reason }),
  imports: () => [GreetingModule],
  control: () => ({ imports: [GreetingModule], controllers: [GreetingControl], resets: [Audit, Greeting] }),
});

const logger = createLogger({ app: 'demo', level: 'silent' });

async function start(env: ConfigSource): Promise<{ app: NestFastifyApplication; url: string }> {
  return demo.start(load({ PORT: '0', ...env }), { logger });
}

const control = (url: string, method: string, path: string, body?: unknown, token: string | null = TOKEN) =>
  fetch(`${url}${PATH.HARNESS_CONTROL_PREFIX}/${path}`, {
    method,
    headers: { ...(token ? { [HEADER.HARNESS_CONTROL]: token } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe('an app from defineApp with HARNESS_CONTROL_TOKEN', () => {
  let app: NestFastifyApplication;
  let url: string;
  beforeAll(async () => {
    ({ app, url } = await start({ HARNESS_CONTROL_TOKEN: TOKEN, DEMO_GREETING: 'hi' }));
  });
  afterAll(() => app.close());
  // Every test starts from the configured greeting, whichever ran before.
  afterEach(async () => {
    expect((await control(url, 'POST', 'reset')).status).toBe(204);
  });

  it('serves its features from the typed config', async () => {
    expect(await (await fetch(`${url}/hello`)).json()).toEqual({ text: 'hi' });
  });

  it('refuses control calls without the token, in the shared 401 body', async () => {
    const res = await control(url, 'GET', 'requests', undefined, null);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { message: string }).message).toContain(HEADER.HARNESS_CONTROL);
  });

  it('records the requests it answered, not the control calls, and words a bad query in the app error shape', async () => {
    const since = new Date().toISOString();
    await fetch(`${url}/hello?x=1`);
    await control(url, 'PUT', 'greeting', { text: 'changed' });
    const { requests } = (await (await control(url, 'GET', `requests?since=${encodeURIComponent(since)}`)).json()) as { requests: Array<{ method: string; path: string; status: number }> };
    expect(requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(['GET /hello?x=1 200']);
    const bad = await control(url, 'GET', 'requests?since=yesterday');
    expect([bad.status, await bad.json()]).toEqual([400, { problem: 'since must be one RFC 3339 date-time, e.g. 2024-05-01T12:00:00Z' }]);
  });

  it('resets every registered provider, in the order given, on POST /-/harness/reset', async () => {
    await control(url, 'PUT', 'greeting', { text: 'changed' });
    resets.length = 0;
    expect((await control(url, 'POST', 'reset')).status).toBe(204);
    expect(resets).toEqual(['audit', 'greeting']);
    expect(await (await fetch(`${url}/hello`)).json()).toEqual({ text: 'hi' });
  });
});

describe('an app from defineApp without HARNESS_CONTROL_TOKEN', () => {
  it('has no control routes and records nothing', async () => {
    const { app, url } = await start({});
    try {
      for (const [method, path] of [['GET', 'requests'], ['POST', 'reset'], ['PUT', 'greeting']] as const) {
        expect([method, path, (await control(url, method, path, method === 'PUT' ? { text: 'x' } : undefined)).status]).toEqual([method, path, 404]);
      }
      expect(() => app.get(RequestLog, { strict: false })).toThrow();
    } finally {
      await app.close();
    }
  });
});

describe('--help of an app from defineApp', () => {
  it('lists every variable and flag with its default and description, from the settings', () => {
    const help = demo.help();
    expect(help.split('\n')[0]).toBe('demo: an app built like the emulators');
    expect(help).toMatch(/DEMO_GREETING, --greeting +\(default: hello\)\n +what GET \/hello answers/);
    expect(help).toMatch(/HARNESS_CONTROL_TOKEN +\(default: unset\)/);
    expect(help).toMatch(/HEADERS_TIMEOUT_MS, --headers-timeout-ms +\(default: 10000\)/);
  });
});
