/**
 * A small SVG sequence-diagram renderer for the observed exchange of a scenario: one lifeline
 * per participant (in the order ide, gitlab-sm, gitlab-saas, ai-gateway, fake-model, with the
 * harness first when it speaks), a solid request arrow per exchange labelled `label || METHOD
 * path` and a dashed response arrow labelled with the status. Requests and responses are
 * placed by time, so a call the gateway makes while answering (JWKS fetch) is drawn inside
 * that exchange. Control traffic is never drawn. No scripts, no external resources.
 */
import type { Participant, RecordedExchange } from '../types.js';

export const PARTICIPANT_ORDER: readonly Participant[] = ['harness', 'ide', 'gitlab-sm', 'gitlab-saas', 'ai-gateway', 'fake-model'];

const PARTICIPANT_LABEL: Record<Participant, string> = {
  harness: 'harness',
  ide: 'IDE',
  'gitlab-sm': 'GitLab self-managed',
  'gitlab-saas': 'GitLab SaaS',
  'ai-gateway': 'AI gateway',
  'fake-model': 'fake model',
};

export type Highlight = 'failed' | 'warning';

export interface DiagramOptions {
  /** Exchanges of FAILED / WARNING checks, drawn in red / amber. */
  highlight?: ReadonlyMap<string, Highlight>;
  /** Prefix for element ids, unique per diagram on a page. */
  idPrefix?: string;
}

export interface DiagramEvent {
  kind: 'request' | 'response';
  exchange: RecordedExchange;
  time: number;
}

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function drawnExchanges(exchanges: readonly RecordedExchange[]): RecordedExchange[] {
  return exchanges.filter((x) => x.kind !== 'control');
}

interface Interval {
  exchange: RecordedExchange;
  start: number;
  end: number;
  index: number;
}

/**
 * Request and response events in drawing order. An observed exchange sent by the participant
 * a harness exchange was talking to, while that exchange was open, is clamped inside it: its
 * clock (the emulator's log) and the harness's clock differ by rounding only.
 */
export function layoutEvents(exchanges: readonly RecordedExchange[]): DiagramEvent[] {
  // The harness's clock has millisecond resolution: an exchange can end in the millisecond
  // the next one begins. Its own exchanges happen in record order, so a sub-millisecond
  // offset by position keeps a response ahead of the next request.
  const drawn = drawnExchanges(exchanges);
  // Relative to the first exchange: epoch milliseconds have no room for sub-microsecond offsets.
  const base = Math.min(...drawn.map((x) => Date.parse(x.startedAt)).filter(Number.isFinite), Number.MAX_SAFE_INTEGER);
  const intervals: Interval[] = drawn.map((exchange, index) => {
    const offset = exchange.kind === 'observed' ? 0 : index * 1e-6;
    const start = (Date.parse(exchange.startedAt) || base) - base + offset;
    const end = start + Math.max(0, exchange.durationMs) + (exchange.kind === 'observed' ? 0 : 5e-7);
    return { exchange, start, end, index };
  });
  const TOLERANCE_MS = 5;
  // How far an observed call lies outside a harness exchange (0: inside it).
  const distance = (o: Interval, s: Interval) => (o.start < s.start ? s.start - o.start : o.start > s.end ? o.start - s.end : 0);
  for (const o of intervals.filter((i) => i.exchange.kind === 'observed')) {
    // The exchange that caused the call: the one to its caller that contains it, else the
    // nearest within the tolerance (back-to-back keystrokes are milliseconds apart).
    const outer = intervals
      .filter(
        (s) =>
          s.exchange.kind !== 'observed' &&
          s.exchange.to === o.exchange.from &&
          o.start <= s.end + TOLERANCE_MS &&
          o.end >= s.start - TOLERANCE_MS &&
          s.end > s.start,
      )
      .sort((a, b) => distance(o, a) - distance(o, b) || b.start - a.start)[0];
    if (!outer) continue;
    const eps = Math.min(0.01, (outer.end - outer.start) / 4);
    o.start = Math.min(Math.max(o.start, outer.start + eps), outer.end - 2 * eps);
    o.end = Math.max(Math.min(o.end, outer.end - eps), o.start + eps / 2);
  }
  for (const i of intervals) if (i.end <= i.start) i.end = i.start + 0.001;
  const events: (DiagramEvent & { start: number; index: number })[] = [];
  for (const i of intervals) {
    events.push({ kind: 'request', exchange: i.exchange, time: i.start, start: i.start, index: i.index });
    events.push({ kind: 'response', exchange: i.exchange, time: i.end, start: i.start, index: i.index });
  }
  events.sort((a, b) => {
    if (a.time !== b.time) return a.time - b.time;
    // At the same instant an exchange that ends comes before one that begins; of two that
    // end, the inner (later started) one first; of two that begin, the earlier recorded first.
    if (a.kind !== b.kind) return a.kind === 'response' ? -1 : 1;
    if (a.kind === 'response') return b.start - a.start || b.index - a.index;
    return a.start - b.start || a.index - b.index;
  });
  return events.map(({ kind, exchange, time }) => ({ kind, exchange, time }));
}

function pathOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.pathname}${u.search}`;
  } catch {
    return url;
  }
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function requestLabel(x: RecordedExchange): string {
  return x.label || `${x.method} ${pathOf(x.url)}`;
}

function responseLabel(x: RecordedExchange): string {
  if (x.response && !x.error) return String(x.response.status);
  return x.error ? `no response: ${x.error}` : 'no response';
}

const MARKER_FILL: Record<'plain' | 'observed' | Highlight, string> = {
  plain: '#333',
  observed: '#7a8794',
  failed: '#c62828',
  warning: '#b26a00',
};

const SVG_STYLE = [
  'svg.sequence{font:12px system-ui,sans-serif;background:#fff}',
  '.participant rect{fill:#eef2f7;stroke:#5b6b7c}',
  '.participant text{font-weight:600}',
  '.lifeline{stroke:#9aa5b1;stroke-dasharray:2 3}',
  '.arrow line,.arrow path{stroke:#333;stroke-width:1.4}',
  '.arrow.response line,.arrow.response path{stroke-dasharray:6 4}',
  '.arrow.observed line,.arrow.observed path{stroke:#7a8794}',
  '.arrow.observed text{fill:#55616d;font-style:italic}',
  '.arrow.failed line,.arrow.failed path{stroke:#c62828;stroke-width:2.2}',
  '.arrow.failed text{fill:#c62828;font-weight:600}',
  '.arrow.warning line,.arrow.warning path{stroke:#b26a00;stroke-width:2}',
  '.arrow.warning text{fill:#b26a00}',
  '.arrow.error text{fill:#c62828}',
  '.legend{fill:#666;font-size:11px}',
].join('');

const COL = 176;
const MARGIN = 16;
const HEAD = 46;
const ROW = 30;

export function renderSequenceSvg(exchanges: readonly RecordedExchange[], options: DiagramOptions = {}): string {
  const drawn = drawnExchanges(exchanges);
  const used = new Set<Participant>(drawn.flatMap((x) => [x.from, x.to]));
  const participants = PARTICIPANT_ORDER.filter((p) => used.has(p));
  const events = layoutEvents(drawn);
  const id = options.idPrefix ?? 'seq';
  const width = MARGIN * 2 + Math.max(participants.length, 1) * COL;
  const height = HEAD + (events.length + 1) * ROW + 34;
  const xOf = (p: Participant) => MARGIN + COL / 2 + participants.indexOf(p) * COL;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="sequence" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="observed exchange: ${drawn.length} exchanges">`,
    `<style>${SVG_STYLE}</style>`,
    '<defs>',
    ...Object.entries(MARKER_FILL).map(
      ([kind, fill]) =>
        `<marker id="${id}-head-${kind}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="${fill}"/></marker>`,
    ),
    '</defs>',
  );
  if (!drawn.length) {
    out.push(`<text x="${MARGIN}" y="${HEAD / 2}" class="empty">no exchanges recorded</text>`, '</svg>');
    return out.join('\n');
  }
  for (const p of participants) {
    const x = xOf(p);
    out.push(
      `<g class="participant" data-participant="${escapeXml(p)}">`,
      `<rect x="${x - COL / 2 + 8}" y="4" width="${COL - 16}" height="30" rx="4"/>`,
      `<text x="${x}" y="24" text-anchor="middle">${escapeXml(PARTICIPANT_LABEL[p])}</text>`,
      `<line class="lifeline" x1="${x}" y1="34" x2="${x}" y2="${height - 28}"/>`,
      '</g>',
    );
  }
  events.forEach((ev, i) => {
    const x = ev.exchange;
    const y = HEAD + (i + 1) * ROW;
    const [fromP, toP] = ev.kind === 'request' ? [x.from, x.to] : [x.to, x.from];
    const x1 = xOf(fromP);
    const x2 = xOf(toP);
    const highlight = options.highlight?.get(x.id);
    const classes = ['arrow', ev.kind, x.kind === 'observed' ? 'observed' : 'scenario', highlight ?? '', ev.kind === 'response' && !x.response ? 'error' : '']
      .filter(Boolean)
      .join(' ');
    const marker = `url(#${id}-head-${highlight ?? (x.kind === 'observed' ? 'observed' : 'plain')})`;
    const label = ev.kind === 'request' ? requestLabel(x) : responseLabel(x);
    const tooltip = ev.kind === 'request' ? `${x.id}: ${x.method} ${x.url}` : `${x.id}: ${responseLabel(x)} (${x.durationMs} ms)`;
    out.push(`<g class="${classes}" data-exchange="${escapeXml(x.id)}">`, `<title>${escapeXml(tooltip)}</title>`);
    if (x1 === x2) {
      out.push(
        `<path d="M${x1},${y - 8} h36 v14 h-36" fill="none" marker-end="${marker}"/>`,
        `<text x="${x1 + 42}" y="${y}" text-anchor="start">${escapeXml(clip(label, 48))}</text>`,
      );
    } else {
      out.push(
        `<line x1="${x1}" y1="${y}" x2="${x2}" y2="${y}" marker-end="${marker}"/>`,
        `<text x="${(x1 + x2) / 2}" y="${y - 5}" text-anchor="middle">${escapeXml(clip(label, Math.max(16, Math.floor(Math.abs(x2 - x1) / 6.2))))}</text>`,
      );
    }
    out.push('</g>');
  });
  out.push(
    `<text class="legend" x="${MARGIN}" y="${height - 8}">solid: request · dashed: response · grey: observed by an emulator · red/amber: exchange of a FAILED/WARNING check</text>`,
    '</svg>',
  );
  return out.join('\n');
}
