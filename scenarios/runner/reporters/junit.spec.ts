import { convert } from 'xmlbuilder2';
import { checkResult, exchange, runResult, scenarioResult } from '../test/helpers.js';
import { wellFormednessProblems } from '../test/xml-wellformed.js';
import { renderJunit } from './junit.js';

type XmlNode = Record<string, unknown>;
const asList = (v: unknown): XmlNode[] => (v === undefined ? [] : Array.isArray(v) ? (v as XmlNode[]) : [v as XmlNode]);

function parse(xml: string): XmlNode {
  return convert(xml, { format: 'object' }) as XmlNode;
}

describe('JUnit reporter', () => {
  const result = runResult([
    scenarioResult({
      id: 'custom-endpoint-jwt',
      checks: [
        checkResult({ id: 'passes', status: 'PASSED' }),
        checkResult({
          id: 'fails',
          status: 'FAILED',
          failure: { message: 'expected HTTP 401, got 200 <&>', expected: { status: 401 }, actual: { status: 200, body: '<script>"x"</script>\u0000' }, exchangeId: 'x0001' },
          exchangeIds: ['x0001'],
        }),
        checkResult({ id: 'warns', status: 'WARNING', severity: 'SHOULD', failure: { message: 'no Cache-Control' } }),
        checkResult({ id: 'skips', status: 'SKIPPED', skipReason: 'no admin token' }),
      ],
      exchanges: [exchange({ id: 'x0001', response: { status: 200, headers: {} } })],
    }),
    scenarioResult({ id: 'sm-relay', status: 'INTERRUPTED', error: 'connect ECONNREFUSED', checks: [checkResult({ id: 'first', status: 'PASSED' })] }),
  ]);

  it('the well-formedness check used here rejects what a broken writer would produce', () => {
    expect(wellFormednessProblems('<a><b></a>')).not.toEqual([]);
    expect(wellFormednessProblems('<a x="1" x="2"/>')).not.toEqual([]);
    expect(wellFormednessProblems('<a>&bogus; <script></a>')).not.toEqual([]);
    expect(wellFormednessProblems('<a>\u0000</a>')).not.toEqual([]);
    expect(wellFormednessProblems('<a/><b/>')).not.toEqual([]);
    expect(wellFormednessProblems('<?xml version="1.0"?>\n<a x="&lt;&#38;"><b>t &amp; &#x41;</b></a>')).toEqual([]);
  });

  it('writes well-formed XML with the right counts per suite and in total', () => {
    const xml = renderJunit(result);
    expect(wellFormednessProblems(xml)).toEqual([]);
    const doc = parse(xml);
    const suites = doc.testsuites as XmlNode;
    expect(suites).toMatchObject({ '@tests': '6', '@failures': '1', '@errors': '1', '@skipped': '1' });
    const [first, second] = asList(suites.testsuite);
    expect(first).toMatchObject({ '@name': 'custom-endpoint-jwt', '@tests': '4', '@failures': '1', '@errors': '0', '@skipped': '1' });
    expect(second).toMatchObject({ '@name': 'sm-relay', '@tests': '2', '@failures': '0', '@errors': '1', '@skipped': '0' });
    expect(asList(first!.testcase)).toHaveLength(4);
  });

  it('maps statuses to <failure>, <skipped>, a WARNING <system-out> and an <error> testcase', () => {
    const xml = renderJunit(result);
    const suites = asList((parse(xml).testsuites as XmlNode).testsuite);
    const cases = asList(suites[0]!.testcase);
    const byName = (id: string) => cases.find((c) => String(c['@name']).includes(` ${id}:`))!;
    expect(byName('passes')).toMatchObject({ '@name': '[MUST] passes: title of passes', '@classname': 'custom-endpoint-jwt' });
    expect(byName('passes').failure).toBeUndefined();
    const failure = byName('fails').failure as XmlNode;
    expect(failure['@type']).toBe('MUST check FAILED');
    expect(byName('skips').skipped).toMatchObject({ '@message': 'not applicable: no admin token', '@type': 'NOT_APPLICABLE' });
    expect(byName('warns').failure).toBeUndefined();
    expect(String(byName('warns')['system-out'])).toMatch(/^WARNING: no Cache-Control/);
    const interrupted = asList(suites[1]!.testcase).find((c) => c.error)!;
    expect(interrupted.error).toMatchObject({ '@type': 'INTERRUPTED' });
    // The failure body says what was expected, what came back and where.
    expect(xml).toContain('expected: {');
    expect(xml).toContain('where:    POST http://127.0.0.1:5052/v2/code/completions -&gt; 200');
    expect(xml).toContain('clauses:  seed-000.o2.step-4');
  });

  it('escapes markup and drops characters XML cannot carry', () => {
    const xml = renderJunit(result);
    expect(xml).not.toContain('<script>');
    expect(xml).toContain('&lt;script&gt;');
    expect(xml).not.toContain('\u0000');
    expect(xml).toContain('message="expected HTTP 401, got 200 &lt;&amp;&gt;"');
  });
});
