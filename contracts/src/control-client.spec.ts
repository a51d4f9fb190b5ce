import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';
import { type ControlMethod, HarnessControlClient, harnessControlClient } from './control-client.js';
import { contractPath } from './files.js';
import { CONTROL_ROUTE, controlPath } from './harness-control.js';

interface Call {
  method: ControlMethod;
  path: string;
  body?: unknown;
}

/** The client over a transport that records each call and answers what a GET of a resource would. */
function recordingClient(): { client: HarnessControlClient; calls: Call[] } {
  const calls: Call[] = [];
  const client = harnessControlClient({
    call: async <T>(method: ControlMethod, path: string, body?: unknown) => {
      calls.push(body === undefined ? { method, path } : { method, path, body });
      return { requests: [] } as T;
    },
  });
  return { client, calls };
}

/** Every operation of the client, once. */
async function everyOperation(client: HarnessControlClient): Promise<void> {
  await client.requests({ since: '2024-05-01T12:00:00Z', path: '/oauth/discovery/keys' });
  await client.reset();
  await client.mintToken({ claims: { aud: null } });
  await client.signingKeys();
  await client.addSigningKey({ activate: false });
  await client.activateSigningKey('kid/1');
  await client.removeSigningKey('kid/1');
  for (const resource of [client.featureFlag('code_suggestions_tokens_api'), client.aiToken, client.group('duo-group'), client.relay, client.oidc, client.oauth, client.auth, client.faults]) {
    await resource.get();
    await resource.set({} as never);
  }
  await client.updateSettings({ code_suggestions_enabled: true });
  await client.jwksCache();
  await client.clearJwksCache();
  await client.clearOAuthCache();
}

/** "method /template" of every harness-control operation the OpenAPI documents describe. */
function documentedControlOperations(): Array<{ method: string; template: string }> {
  const out: Array<{ method: string; template: string }> = [];
  for (const file of ['gitlab.yaml', 'ai-gateway.yaml', 'fake-model.yaml']) {
    const doc = parse(readFileSync(contractPath('openapi', file), 'utf8')) as { paths: Record<string, Record<string, { tags?: string[] }>> };
    for (const [template, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) if (op.tags?.includes('harness-control')) out.push({ method: method.toUpperCase(), template });
    }
  }
  return out;
}

const matches = (template: string, path: string) => new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path.split('?')[0]!);

describe('the harness control client', () => {
  it('calls only operations an OpenAPI document describes as harness control, and covers every route', async () => {
    const { client, calls } = recordingClient();
    await everyOperation(client);
    const documented = documentedControlOperations();
    const undocumented = calls.filter((c) => !documented.some((d) => d.method === c.method && matches(d.template, c.path)));
    expect(undocumented).toEqual([]);
    const unused = Object.values(CONTROL_ROUTE).filter((route) => !calls.some((c) => matches(`/-/harness/${route.replace(/:(\w+)/g, '{$1}')}`, c.path)));
    expect(unused).toEqual([]);
    const unreachable = documented.filter((d) => !calls.some((c) => c.method === d.method && matches(d.template, c.path)));
    expect(unreachable).toEqual([]);
  });

  it('sends the query, the body and percent-encoded path parameters as given', async () => {
    const { client, calls } = recordingClient();
    await client.requests({ path: '/oauth/discovery/keys' });
    await client.activateSigningKey('kid/1');
    await client.auth.set({ legacyAudienceWindow: 'closed' });
    expect(calls).toEqual([
      { method: 'GET', path: '/-/harness/requests?path=%2Foauth%2Fdiscovery%2Fkeys' },
      { method: 'POST', path: '/-/harness/keys/kid%2F1/activate' },
      { method: 'PUT', path: '/-/harness/auth', body: { legacyAudienceWindow: 'closed' } },
    ]);
  });

  it('names a missing path parameter', () => {
    expect(() => controlPath(CONTROL_ROUTE.GROUP)).toThrow('control route groups/:path needs :path');
  });
});

describe('harness-control.schema.json', () => {
  const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
  const schema = JSON.parse(readFileSync(contractPath('schemas', 'harness-control.schema.json'), 'utf8')) as { $id: string; $defs: Record<string, unknown> };
  const ajv = addFormats(new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true }));
  ajv.addSchema(schema);
  const valid = (def: string, value: unknown) => ajv.getSchema(`${schema.$id}#/$defs/${def}`)!(value);

  it('compiles every definition in strict mode', () => {
    for (const def of Object.keys(schema.$defs)) expect([def, typeof ajv.getSchema(`${schema.$id}#/$defs/${def}`)]).toEqual([def, 'function']);
  });

  it('describes what the apps answer and refuses what they refuse', () => {
    expect(valid('requestLog', { requests: [{ at: '2024-05-01T12:00:00.000Z', method: 'GET', path: '/healthz', status: 200, durationMs: 0.4, traceId: 'a'.repeat(32) }] })).toBe(true);
    expect(valid('requestLog', { requests: [{ at: 'yesterday', method: 'GET', path: '/', status: 200, durationMs: 1 }] })).toBe(false);
    expect(valid('featureFlagUpdate', { enabled: true, actors: ['saas-developer'] })).toBe(true);
    expect(valid('featureFlagUpdate', { enabled: false, actors: ['saas-developer'] })).toBe(false);
    expect(valid('relayTargetUpdate', { saas_url: 'http://127.0.0.1:3001', timeout_ms: 500 })).toBe(true);
    expect(valid('relayTargetUpdate', { saas_url: 'http://user:secret@127.0.0.1:3001' })).toBe(false);
    expect(valid('aiTokenSettingsUpdate', { shape: 'seed-002', includeKid: null })).toBe(true);
    expect(valid('aiTokenSettingsUpdate', { audience: 'gitlab-ai-gateway' })).toBe(false);
    expect(valid('faultsUpdate', { failStatus: 200 })).toBe(false);
    expect(valid('authSettingsUpdate', { legacyAudienceWindow: 'ajar' })).toBe(false);
  });
});
