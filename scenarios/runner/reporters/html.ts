/**
 * report.html: a self-contained view of results.json (inline CSS, no scripts, no external
 * resources; a Content-Security-Policy forbids both in case escaping ever failed). Every
 * string from a run passes through esc(): response bodies are hostile input.
 */
import { writeFileSync } from 'node:fs';
import type { CheckResult, RecordedExchange, RunNote, RunResult, ScenarioResult } from '../types.js';
import { countStatuses, describeExchange, failureView } from './format.js';
import { renderSequenceSvg, type Highlight } from './sequence-diagram.js';

/** The attachment a diagram check leaves (scenarios/conditions/diagram.ts). */
export const OBSERVED_DIAGRAM_ATTACHMENT = 'observed-diagram';

export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STYLE = `
:root{--pass:#2e7d32;--fail:#c62828;--warn:#b26a00;--skip:#607d8b;--block:#8e24aa;--line:#d8dee4}
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;padding:24px 32px;color:#1f2328;background:#fafbfc}
h1{margin:0 0 4px;font-size:22px}h2{margin:32px 0 6px;font-size:18px;border-top:2px solid var(--line);padding-top:18px}
h3{font-size:15px;margin:18px 0 6px}code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace}
pre{background:#f3f5f7;border:1px solid var(--line);padding:8px;overflow:auto;max-height:420px;white-space:pre-wrap;word-break:break-word;margin:4px 0}
table{border-collapse:collapse;width:100%;background:#fff}th,td{border:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f0f3f6}.meta{color:#57606a}.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-weight:600;font-size:12px}
.PASSED{background:var(--pass)}.FAILED{background:var(--fail)}.WARNING{background:var(--warn)}.SKIPPED{background:var(--skip)}.BLOCKED{background:var(--block)}
.INTERRUPTED{background:var(--fail)}.FINISHED{background:var(--pass)}.verdict-pass{background:var(--pass)}.verdict-fail{background:var(--fail)}
tr.row-FAILED td:first-child{border-left:4px solid var(--fail)}tr.row-WARNING td:first-child{border-left:4px solid var(--warn)}
tr.row-SKIPPED td:first-child{border-left:4px solid var(--skip)}tr.row-BLOCKED td:first-child{border-left:4px solid var(--block)}tr.row-PASSED td:first-child{border-left:4px solid var(--pass)}
.clauses{margin:0;padding-left:16px}.clauses li{margin:2px 0}.label{font-weight:600;color:#57606a}
.side-by-side{display:grid;grid-template-columns:1fr 1fr;gap:12px}.note-WARNING{color:var(--warn)}.note-INFO{color:#57606a}.diagram{overflow:auto;background:#fff;border:1px solid var(--line);padding:6px}
details.exchange{border:1px solid var(--line);background:#fff;margin:4px 0;padding:4px 8px}details.exchange.hl-failed{border-left:4px solid var(--fail)}
details.exchange.hl-warning{border-left:4px solid var(--warn)}details.exchange.observed summary{font-style:italic}
.error{color:var(--fail);font-weight:600}
`;

function badge(status: string): string {
  return `<span class="badge ${esc(status)}">${esc(status)}</span>`;
}

function notesHtml(notes: readonly RunNote[] | undefined): string {
  if (!notes?.length) return '';
  return `<ul class="notes">${notes.map((n) => `<li class="note-${esc(n.level)}"><strong>${esc(n.level)}</strong> ${esc(n.message)}</li>`).join('')}</ul>`;
}

function highlights(scenario: ScenarioResult): Map<string, Highlight> {
  const map = new Map<string, Highlight>();
  for (const c of scenario.checks) {
    if (c.status !== 'FAILED' && c.status !== 'WARNING') continue;
    const ids = new Set([...c.exchangeIds, ...(c.failure?.exchangeId ? [c.failure.exchangeId] : [])]);
    for (const id of ids) if (map.get(id) !== 'failed') map.set(id, c.status === 'FAILED' ? 'failed' : 'warning');
  }
  return map;
}

function exchangeLink(x: RecordedExchange | undefined, text: string): string {
  return x ? `<a href="#ex-${esc(x.id)}">${esc(text)}</a>` : esc(text);
}

function checkDetail(check: CheckResult, scenario: ScenarioResult): string {
  const parts: string[] = [];
  if (check.status === 'SKIPPED' && check.skipReason) parts.push(`<div><span class="label">not applicable:</span> ${esc(check.skipReason)}</div>`);
  if (check.status === 'BLOCKED' && check.skipReason) parts.push(`<div><span class="label">blocked:</span> ${esc(check.skipReason)}</div>`);
  if (check.failure) {
    const view = failureView(check, scenario.exchanges);
    parts.push(`<div class="${check.status === 'FAILED' ? 'error' : ''}">${esc(view.message)}</div>`);
    if (view.expected !== undefined) parts.push(`<div><span class="label">expected</span><pre>${esc(view.expected)}</pre></div>`);
    if (view.actual !== undefined) parts.push(`<div><span class="label">actual</span><pre>${esc(view.actual)}</pre></div>`);
    if (view.where) {
      const x = scenario.exchanges.find((e) => e.id === check.failure?.exchangeId);
      parts.push(`<div><span class="label">where:</span> ${exchangeLink(x, view.where)}</div>`);
    }
  }
  if (check.expectation) {
    parts.push(
      `<div class="note-WARNING"><span class="label">known deviation:</span> expected ${esc(check.expectation.expectedStatus)} (expectations file): ${esc(check.expectation.reason)}</div>`,
    );
  }
  if (check.exchangeIds.length) {
    const links = check.exchangeIds.map((id) => exchangeLink(scenario.exchanges.find((e) => e.id === id), id));
    parts.push(`<div class="meta">exchanges: ${links.join(', ')}</div>`);
  }
  return parts.join('');
}

function checksTable(scenario: ScenarioResult): string {
  if (!scenario.checks.length) return '<p class="meta">no checks ran</p>';
  const rows = scenario.checks.map(
    (c) => `<tr class="row-${esc(c.status)}" id="check-${esc(scenario.id)}-${esc(c.id)}"><td>${badge(c.status)}</td><td>${esc(c.severity)}</td><td><code>${esc(c.id)}</code></td><td>${esc(c.title)}</td>
<td><ul class="clauses">${c.clauses.map((cl) => `<li><code>${esc(cl.id)}</code> <span class="meta">${esc(cl.source)}</span><br>${esc(cl.text)}</li>`).join('')}</ul></td>
<td>${checkDetail(c, scenario)}</td></tr>`,
  );
  return `<table class="checks"><thead><tr><th>status</th><th>severity</th><th>id</th><th>title</th><th>clauses</th><th>detail</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
}

function headersTable(headers: Record<string, string>): string {
  const entries = Object.entries(headers);
  if (!entries.length) return '<p class="meta">no headers recorded</p>';
  return `<table class="headers">${entries.map(([k, v]) => `<tr><th><code>${esc(k)}</code></th><td><code>${esc(v)}</code></td></tr>`).join('')}</table>`;
}

function exchangeHtml(x: RecordedExchange, hl: Highlight | undefined): string {
  const classes = ['exchange', x.kind, hl ? `hl-${hl}` : ''].filter(Boolean).join(' ');
  const parts = [
    `<details class="${classes}" id="ex-${esc(x.id)}"><summary><code>${esc(x.id)}</code> ${esc(x.from)} → ${esc(x.to)} · ${esc(describeExchange(x))} · ${esc(x.durationMs)} ms · <span class="meta">${esc(x.kind)}${x.label ? ` · ${esc(x.label)}` : ''}</span></summary>`,
    `<div class="meta">started ${esc(x.startedAt)}</div>`,
    '<h4>request</h4>',
    headersTable(x.request.headers),
  ];
  if (x.request.body !== undefined) parts.push(`<pre>${esc(x.request.body)}</pre>`);
  if (x.error) parts.push(`<div class="error">no response: ${esc(x.error)}</div>`);
  if (x.response) {
    parts.push(`<h4>response ${esc(x.response.status)}</h4>`, headersTable(x.response.headers));
    if (x.response.body !== undefined) parts.push(`<pre>${esc(x.response.body)}</pre>`);
  }
  parts.push('</details>');
  return parts.join('\n');
}

function scenarioHtml(s: ScenarioResult, index: number): string {
  const counts = countStatuses(s.checks);
  const hl = highlights(s);
  const parts = [
    `<section class="scenario" id="scenario-${esc(s.id)}">`,
    `<h2>${badge(s.status)} ${esc(s.title)} <code>${esc(s.id)}</code></h2>`,
    `<p class="meta">seeds ${esc(s.seeds.join(', ') || '-')} · started ${esc(s.startedAt)} · ${esc((s.durationMs / 1000).toFixed(2))} s · ${counts.PASSED} passed, ${counts.FAILED} failed, ${counts.WARNING} warnings, ${counts.SKIPPED} skipped, ${counts.BLOCKED} blocked</p>`,
  ];
  if (s.error) parts.push(`<p class="error">${esc(s.error)}</p>`);
  parts.push(notesHtml(s.notes), checksTable(s));
  parts.push('<h3>Observed exchange</h3>', `<div class="diagram">${renderSequenceSvg(s.exchanges, { highlight: hl, idPrefix: `seq${index}` })}</div>`);
  if (s.contractDiagram !== undefined) {
    const replay = replayedDiagram(s);
    parts.push(
      '<h3>The contract\'s diagram and the replayed exchange (Mermaid)</h3>',
      `<div class="side-by-side"><div><div class="label">contract</div><pre>${esc(s.contractDiagram)}</pre></div>`,
      `<div><div class="label">observed${replay ? ` (check <a href="#check-${esc(s.id)}-${esc(replay.check)}">${esc(replay.check)}</a>)` : ''}</div><pre>${esc(replay?.mermaid ?? 'no replay of the diagram ran in this scenario')}</pre></div></div>`,
    );
  }
  parts.push(
    `<details><summary>Exchanges (${s.exchanges.length}, credentials redacted)</summary>${s.exchanges.map((x) => exchangeHtml(x, hl.get(x.id))).join('\n')}</details>`,
    '</section>',
  );
  return parts.join('\n');
}

export function renderHtml(result: RunResult): string {
  const verdict = result.exitCode === 0 ? 'PASS' : 'FAIL';
  const s = result.summary;
  const nav = result.scenarios
    .map((sc) => {
      const c = countStatuses(sc.checks);
      return `<tr><td>${badge(sc.status)}</td><td><a href="#scenario-${esc(sc.id)}"><code>${esc(sc.id)}</code></a></td><td>${esc(sc.title)}</td><td>${c.PASSED}</td><td>${c.FAILED}</td><td>${c.WARNING}</td><td>${c.SKIPPED}</td><td>${c.BLOCKED}</td></tr>`;
    })
    .join('\n');
  const targets = result.targets
    .map((t) => `<tr><td><code>${esc(t.role)}</code></td><td><code>${esc(t.url)}</code></td><td>${t.embedded ? 'embedded emulator' : 'external'}</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(result.tool.name)} report: ${verdict}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1><span class="badge verdict-${verdict.toLowerCase()}">${verdict}</span> ${esc(result.tool.name)} conformance report</h1>
<p class="meta">${esc(result.tool.name)} ${esc(result.tool.version)} · profile ${esc(result.profile ?? '-')}${result.runtime ? ` · runtime ${esc(result.runtime)}` : ''} · ${esc(result.startedAt)} → ${esc(result.finishedAt)} · exit code ${esc(result.exitCode)}</p>
</header>
<section class="summary">
<table><thead><tr><th>checks</th><th>passed</th><th>failed</th><th>warnings</th><th>skipped</th><th>blocked</th></tr></thead>
<tbody><tr><td>${s.total}</td><td>${s.passed}</td><td>${s.failed}</td><td>${s.warnings}</td><td>${s.skipped}</td><td>${s.blocked}</td></tr></tbody></table>
<h3>Targets</h3>
<table><thead><tr><th>role</th><th>URL</th><th>implementation</th></tr></thead><tbody>${targets}</tbody></table>
${notesHtml(result.notes)}
<h3>Scenarios</h3>
<table><thead><tr><th>status</th><th>id</th><th>title</th><th>passed</th><th>failed</th><th>warnings</th><th>skipped</th><th>blocked</th></tr></thead><tbody>${nav}</tbody></table>
</section>
${result.scenarios.map(scenarioHtml).join('\n')}
</body>
</html>
`;
}

export function writeHtmlReport(result: RunResult, file: string): void {
  writeFileSync(file, renderHtml(result));
}

/** The observed exchange a diagram check of the scenario attached, as Mermaid. */
export function replayedDiagram(s: ScenarioResult): { check: string; mermaid: string } | undefined {
  for (const c of s.checks) {
    const mermaid = c.attachments?.[OBSERVED_DIAGRAM_ATTACHMENT];
    if (mermaid !== undefined) return { check: c.id, mermaid };
  }
  return undefined;
}
