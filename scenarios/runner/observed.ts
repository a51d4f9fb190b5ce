/**
 * Observed traffic: what a role received that the harness did not send itself (the gateway
 * fetching the JWKS, self-managed relaying to SaaS), read from each emulator's request log
 * (GET /-/harness/requests) so the report's sequence diagram shows the whole exchange.
 */
import { PATH, ROLES, USER_AGENT, type LoggedRequest, type Role } from '#contracts';
import type { ObservedRequest } from './diagram-replay.js';
import { redactRecordedUrl } from './recording/redact.js';
import type { ExchangeRecorder } from './recording/recorder.js';
import type { CheckResult, ControlClient, Participant, RecordedExchange, RunNote } from './types.js';

export type { LoggedRequest } from '#contracts';

/**
 * Who sent a request, from its User-Agent. `undefined` = the harness itself (already
 * recorded, not drawn twice). The gateway's prefix is tested first: it starts with the
 * harness's name.
 */
export function participantFromUserAgent(userAgent: string | undefined): Participant | undefined {
  const ua = userAgent ?? '';
  if (ua.startsWith(USER_AGENT.GATEWAY)) return 'ai-gateway';
  if (ua.startsWith(USER_AGENT.RELAY_PREFIX)) return 'gitlab-sm';
  if (ua === USER_AGENT.HARNESS || ua.startsWith(`${USER_AGENT.HARNESS}/`)) return undefined;
  return 'ide';
}

export interface ObservedSource {
  role: Role;
  url: string;
  control: ControlClient;
}

/** Converts log entries of `source` into exchanges of kind 'observed'. */
export function observedExchanges(
  entries: readonly LoggedRequest[],
  source: { role: Role; url: string },
  recorder: ExchangeRecorder,
  alreadyRecorded: readonly RecordedExchange[] = [],
): RecordedExchange[] {
  const out: RecordedExchange[] = [];
  for (const entry of entries) {
    if (entry.path.startsWith(PATH.HARNESS_CONTROL_PREFIX)) continue;
    // The sender its trace says (an emulator's outbound call), else its User-Agent.
    const named = senderRole(entry.from);
    if (entry.from === 'ide' || entry.from === 'harness') continue; // the harness recorded it itself
    const from = named ?? participantFromUserAgent(entry.userAgent);
    if (!from) continue;
    const url = redactRecordedUrl(`${source.url.replace(/\/+$/, '')}${entry.path}`);
    const durationMs = Number.isFinite(entry.durationMs) ? entry.durationMs : 0;
    const endedAt = Date.parse(entry.at);
    const startedAt = new Date(Number.isFinite(endedAt) ? endedAt - durationMs : Date.now()).toISOString();
    // An unknown User-Agent may still be the harness with a chosen UA (a check playing an IDE):
    // drop the entry when the harness recorded the same request to the same role at that time.
    if (from === 'ide' && alreadyRecorded.some((x) => sameRequest(x, source.role, entry, url))) continue;
    const exchange: RecordedExchange = {
      id: recorder.nextId(),
      from,
      to: source.role,
      kind: 'observed',
      method: entry.method,
      url,
      startedAt,
      durationMs,
      request: { headers: entry.userAgent ? { 'user-agent': entry.userAgent } : {} },
      response: { status: entry.status, headers: {} },
    };
    if (entry.traceId) exchange.traceId = entry.traceId;
    out.push(exchange);
  }
  return out;
}

function sameRequest(x: RecordedExchange, role: Role, entry: LoggedRequest, url: string): boolean {
  if (x.kind === 'observed' || x.to !== role || x.method !== entry.method || x.response?.status !== entry.status) return false;
  if (x.url !== url) return false;
  const end = Date.parse(x.startedAt) + x.durationMs;
  return Math.abs(end - Date.parse(entry.at)) < 1000;
}

/**
 * Reads every source's log since `since` and returns the observed exchanges. A log that
 * cannot be read becomes a WARNING note; it never fails the scenario.
 */
export async function collectObserved(
  sources: readonly ObservedSource[],
  since: string,
  recorder: ExchangeRecorder,
  alreadyRecorded: readonly RecordedExchange[],
): Promise<{ exchanges: RecordedExchange[]; notes: RunNote[] }> {
  const exchanges: RecordedExchange[] = [];
  const notes: RunNote[] = [];
  for (const source of sources) {
    try {
      const answer = await source.control.call<{ requests?: LoggedRequest[] }>(
        'GET',
        `${PATH.HARNESS_CONTROL_PREFIX}/requests?since=${encodeURIComponent(since)}`,
      );
      if (!answer || !Array.isArray(answer.requests)) throw new Error('the answer has no "requests" list');
      exchanges.push(...observedExchanges(answer.requests, source, recorder, alreadyRecorded));
    } catch (e) {
      notes.push({
        level: 'WARNING',
        message: `could not read the traffic ${source.role} observed (the diagram lacks its outbound calls): ${(e as Error).message}`,
      });
    }
  }
  return { exchanges, notes };
}

/** A role named by a request's tracestate, when it is one. */
function senderRole(from: string | undefined): Role | undefined {
  return from !== undefined && (ROLES as readonly string[]).includes(from) ? (from as Role) : undefined;
}

/** Attaches each observed exchange that carries a check's trace id to that check's exchanges. */
export function attributeToChecks(observed: readonly RecordedExchange[], checks: readonly CheckResult[]): void {
  const byTrace = new Map(checks.filter((c) => c.traceId).map((c) => [c.traceId!, c]));
  for (const x of observed) {
    const check = x.traceId ? byTrace.get(x.traceId) : undefined;
    if (check && !check.exchangeIds.includes(x.id)) check.exchangeIds.push(x.id);
  }
}

/**
 * The requests of one check so far, for replaying a diagram: the harness's own (to roles) and
 * what each role with a readable request log received during the check. A log entry counts when
 * it carries the check's trace id, or carries none and came while the check ran (a sender that
 * does not propagate traceparent); entries of other traces are another check's background work.
 */
export async function requestsDuringCheck(
  frame: { traceId?: string; startedAt?: number; exchangeIds: readonly string[] },
  recorded: readonly RecordedExchange[],
  sources: readonly ObservedSource[],
): Promise<{ requests: ObservedRequest[]; observable: Set<string>; unreadable: string[] }> {
  const own = new Set(frame.exchangeIds);
  const requests: ObservedRequest[] = recorded
    .filter((x) => own.has(x.id) && x.kind === 'scenario' && (ROLES as readonly string[]).includes(x.to) && Date.parse(x.startedAt) >= (frame.startedAt ?? 0))
    .map((x) => ({ from: x.from, to: x.to, label: `${x.method} ${pathOf(x.url)} -> ${x.response?.status ?? 'no response'}`, at: Date.parse(x.startedAt), exchangeId: x.id }));
  const unreadable: string[] = [];
  const observable = new Set<string>();
  const since = new Date(frame.startedAt ?? Date.now()).toISOString();
  for (const source of sources) {
    let entries: LoggedRequest[];
    try {
      const answer = await source.control.call<{ requests?: LoggedRequest[] }>('GET', `${PATH.HARNESS_CONTROL_PREFIX}/requests?since=${encodeURIComponent(since)}`);
      entries = Array.isArray(answer?.requests) ? answer.requests : [];
    } catch (e) {
      unreadable.push(`${source.role}: ${(e as Error).message}`);
      continue;
    }
    observable.add(source.role);
    for (const entry of entries) {
      if (entry.path.startsWith(PATH.HARNESS_CONTROL_PREFIX)) continue;
      if (entry.traceId !== undefined && entry.traceId !== frame.traceId) continue;
      if (entry.from === 'ide' || entry.from === 'harness') continue; // recorded by the harness itself
      const ua = entry.userAgent ?? '';
      if (entry.traceId === undefined && (ua === USER_AGENT.HARNESS || ua.startsWith(`${USER_AGENT.HARNESS}/`))) continue;
      const from = senderRole(entry.from) ?? (ua.startsWith(USER_AGENT.GATEWAY) ? 'ai-gateway' : ua.startsWith(USER_AGENT.RELAY_PREFIX) ? 'gitlab-sm' : undefined);
      const durationMs = Number.isFinite(entry.durationMs) ? entry.durationMs : 0;
      requests.push({ from, to: source.role, label: `${entry.method} ${entry.path.split('?')[0]} -> ${entry.status}`, at: Date.parse(entry.at) - durationMs });
    }
  }
  return { requests, observable, unreadable };
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}
