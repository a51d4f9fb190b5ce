/**
 * junit.xml, a view of results.json for CI: one testsuite per scenario, one testcase per
 * check named `[SEVERITY] id: title`. FAILED -> <failure>, SKIPPED -> <skipped>, BLOCKED -> <skipped
 * type="BLOCKED"> naming the prerequisite (it verified nothing; the run's exit code fails on a
 * blocked MUST), WARNING
 * passes with a WARNING line in <system-out>, an INTERRUPTED scenario adds an <error>
 * testcase. Written by a real XML writer (xmlbuilder2), which does the escaping.
 */
import { writeFileSync } from 'node:fs';
import { create } from 'xmlbuilder2';
import type { RunResult, ScenarioResult } from '../types.js';
import { countStatuses, failureText, failureView, seconds } from './format.js';

// Characters XML 1.0 cannot carry even escaped (NUL, most C0 controls, lone surrogates).
// eslint-disable-next-line no-control-regex
const NOT_XML_CHAR = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function xmlSafe(text: string): string {
  return text.replace(NOT_XML_CHAR, '\uFFFD');
}

function suiteCounts(s: ScenarioResult) {
  const c = countStatuses(s.checks);
  const interrupted = s.status === 'INTERRUPTED' ? 1 : 0;
  return { tests: s.checks.length + interrupted, failures: c.FAILED, errors: interrupted, skipped: c.SKIPPED + c.BLOCKED };
}

export function renderJunit(result: RunResult): string {
  const totals = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  for (const s of result.scenarios) {
    const c = suiteCounts(s);
    totals.tests += c.tests;
    totals.failures += c.failures;
    totals.errors += c.errors;
    totals.skipped += c.skipped;
  }
  const root = create({ version: '1.0', encoding: 'UTF-8' }).ele('testsuites', {
    name: `${result.tool.name} ${result.tool.version}`,
    tests: String(totals.tests),
    failures: String(totals.failures),
    errors: String(totals.errors),
    skipped: String(totals.skipped),
    time: seconds(Date.parse(result.finishedAt) - Date.parse(result.startedAt)),
    timestamp: result.startedAt,
  });
  for (const s of result.scenarios) {
    const c = suiteCounts(s);
    const suite = root.ele('testsuite', {
      name: xmlSafe(s.id),
      tests: String(c.tests),
      failures: String(c.failures),
      errors: String(c.errors),
      skipped: String(c.skipped),
      time: seconds(s.durationMs),
      timestamp: s.startedAt,
    });
    const props = suite.ele('properties');
    props.ele('property', { name: 'title', value: xmlSafe(s.title) });
    props.ele('property', { name: 'seeds', value: xmlSafe(s.seeds.join(', ')) });
    props.ele('property', { name: 'status', value: s.status });
    if (result.runtime) props.ele('property', { name: 'runtime', value: result.runtime });
    for (const check of s.checks) {
      const tc = suite.ele('testcase', {
        name: xmlSafe(`[${check.severity}] ${check.id}: ${check.title}`),
        classname: xmlSafe(s.id),
        time: seconds(check.durationMs),
      });
      const view = failureView(check, s.exchanges);
      const known = check.expectation
        ? `known deviation (expectations file): expected ${check.expectation.expectedStatus}: ${check.expectation.reason}`
        : undefined;
      if (check.status === 'FAILED') {
        tc.ele('failure', { message: xmlSafe(view.message), type: `${check.severity} check FAILED` }).txt(xmlSafe(failureText(view)));
      } else if (check.status === 'SKIPPED') {
        tc.ele('skipped', { message: xmlSafe(`not applicable: ${check.skipReason ?? ''}`), type: 'NOT_APPLICABLE' });
      } else if (check.status === 'BLOCKED') {
        tc.ele('skipped', { message: xmlSafe(`blocked: ${check.skipReason ?? ''}`), type: 'BLOCKED' });
      } else if (check.status === 'WARNING') {
        tc.ele('system-out').txt(xmlSafe(`WARNING: ${failureText(view)}${known ? `\n${known}` : ''}`));
      }
      if (known && check.status !== 'WARNING') tc.ele('system-out').txt(xmlSafe(known));
    }
    if (s.status === 'INTERRUPTED') {
      const tc = suite.ele('testcase', { name: xmlSafe(`[scenario] ${s.id}: interrupted`), classname: xmlSafe(s.id), time: '0.000' });
      tc.ele('error', { message: xmlSafe(s.error ?? 'interrupted'), type: 'INTERRUPTED' }).txt(xmlSafe(s.error ?? 'interrupted'));
    }
    if (s.notes?.length) suite.ele('system-out').txt(xmlSafe(s.notes.map((n) => `${n.level}: ${n.message}`).join('\n')));
  }
  if (result.notes?.length) {
    root.ele('testsuite', { name: 'run-notes', tests: '0', failures: '0', errors: '0', skipped: '0', time: '0.000' })
      .ele('system-out')
      .txt(xmlSafe(result.notes.map((n) => `${n.level}: ${n.message}`).join('\n')));
  }
  return root.end({ prettyPrint: true });
}

export function writeJunitReport(result: RunResult, file: string): void {
  writeFileSync(file, renderJunit(result));
}
