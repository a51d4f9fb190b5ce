import { readFileSync } from 'node:fs';
import { contractPath } from '#contracts';
import { loadOpenApi } from '#common/testing/openapi-contract';
import { ContractHttpException } from '#common';
import { SAAS_ORIGIN_PATTERN, groupBody, parseBody, parseOptionalBody, relayBody } from './control.schemas.js';

function problemOf(parse: () => unknown): string {
  try {
    parse();
  } catch (e) {
    expect(e).toBeInstanceOf(ContractHttpException);
    expect((e as ContractHttpException).getStatus()).toBe(400);
    return ((e as ContractHttpException).body as { message: string }).message;
  }
  throw new Error('expected a 400');
}

describe('relayBody saas_url', () => {
  it('takes an http(s) origin and drops a trailing slash', () => {
    for (const [given, kept] of [
      ['http://127.0.0.1:3001', 'http://127.0.0.1:3001'],
      ['https://gitlab.com/', 'https://gitlab.com'],
      ['http://localhost', 'http://localhost'],
      ['http://a-b.example:65535', 'http://a-b.example:65535'],
    ]) {
      expect(relayBody.parse({ saas_url: given })).toEqual({ saas_url: kept });
    }
  });

  it('refuses credentials, paths, queries, fragments, other schemes and hosts a URL parser would refuse', () => {
    for (const url of [
      'http://user:pw@gitlab.com',
      'http://gitlab.com/api',
      'http://gitlab.com?x=1',
      'http://gitlab.com/#top',
      'http://gitlab.com//',
      'ftp://gitlab.com',
      'http://999.1.1.1',
      'http://1.2.3',
      'http://gitlab.com:65536',
      'http://-gitlab.com',
      'gitlab.com',
    ]) {
      expect([url, relayBody.safeParse({ saas_url: url }).success]).toEqual([url, false]);
    }
  });

  it('is the pattern the contract documents (harness-control.schema.json relayTargetUpdate, which gitlab.yaml references)', () => {
    const contract = JSON.parse(readFileSync(contractPath('schemas', 'harness-control.schema.json'), 'utf8')) as {
      $defs: { relayTargetUpdate: { properties: { saas_url: { pattern: string } } } };
    };
    expect(contract.$defs.relayTargetUpdate.properties.saas_url.pattern).toBe(SAAS_ORIGIN_PATTERN);
    const put = loadOpenApi('gitlab.yaml').doc.paths['/-/harness/relay']!.put as unknown as {
      requestBody: { content: { 'application/json': { schema: { $ref: string } } } };
    };
    expect(put.requestBody.content['application/json'].schema.$ref).toBe('../schemas/harness-control.schema.json#/$defs/relayTargetUpdate');
  });
});

describe('parseBody', () => {
  it('requires a body where the document marks it required, and takes none as {} where optional', () => {
    expect(problemOf(() => parseBody(groupBody, undefined))).toBe('400 Bad request - body is required: a JSON object (Content-Type: application/json)');
    expect(problemOf(() => parseBody(relayBody, null))).toMatch(/^400 Bad request - body /);
    expect(parseOptionalBody(relayBody, undefined)).toEqual({});
    expect(problemOf(() => parseOptionalBody(relayBody, null))).toMatch(/^400 Bad request - body /);
  });
});
