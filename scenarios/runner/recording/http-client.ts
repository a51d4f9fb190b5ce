/**
 * The recording HTTP client scenarios talk through (ctx.http) and the control API client.
 * Global fetch, redirects returned never followed, a per-request timeout, the harness's
 * User-Agent; every exchange is recorded with credentials redacted at recording time.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { randomBytes } from 'node:crypto';
import { HEADER, HarnessControlClient, TRACESTATE_KEY, type Role } from '#contracts';
import { TransportError } from '../signals.js';
import type { ControlClient, HttpClient, HttpRequest, HttpResponse, Participant, RecordedExchange } from '../types.js';
import { harnessUserAgent } from '../version.js';
import type { TargetWatch } from '../target-watch.js';
import type { ExchangeRecorder } from './recorder.js';
import { redactMessage, redactRecordedBody, redactRecordedHeaders, redactRecordedUrl } from './redact.js';

export interface ClientOptions {
  recorder: ExchangeRecorder;
  from: Participant;
  to: Role;
  baseUrl: string;
  timeoutMs: number;
  /** false once the scenario has ended (interrupted): late requests fail instead of recording into a closed result. */
  isOpen?: () => boolean;
  /** Told whether each request got a response, to notice a target that stopped answering. */
  watch?: TargetWatch;
}

/** Joins a path to a base URL; an absolute URL is used as is. */
export function resolveUrl(baseUrl: string, path: string): string {
  if (/^https?:\/\//i.test(path)) return path;
  return `${baseUrl.replace(/\/+$/, '')}${path.startsWith('/') ? '' : '/'}${path}`;
}

function describeCause(e: unknown, timeoutMs: number): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return `timed out after ${timeoutMs} ms`;
  const cause = err?.cause;
  if (cause?.message) {
    return cause.code && !cause.message.includes(cause.code) ? `${cause.code}: ${cause.message}` : cause.message;
  }
  return err?.message ?? String(e);
}

function parseJson(text: string): unknown {
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

interface SendInput {
  recorder: ExchangeRecorder;
  kind: RecordedExchange['kind'];
  from: Participant;
  to: Role;
  method: HttpRequest['method'];
  url: string;
  headers: Headers;
  body?: string;
  timeoutMs: number;
  label?: string;
  /** Header lines sent in addition, each on its own line even when the name repeats (fetch would merge them). */
  repeatedHeaders?: ReadonlyArray<readonly [string, string]>;
  traceId?: string;
}

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  setCookies: string[];
  text: string;
}

/** fetch, redirects returned, never followed. */
async function fetchTransport(input: SendInput, onStatus: (status: number) => void): Promise<RawResponse> {
  const res = await fetch(input.url, {
    method: input.method,
    headers: input.headers,
    body: input.body,
    redirect: 'manual',
    signal: AbortSignal.timeout(input.timeoutMs),
  });
  onStatus(res.status);
  const headers: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value;
  });
  const text = input.method === 'HEAD' ? '' : await res.text();
  return { status: res.status, headers, setCookies: res.headers.getSetCookie(), text };
}

/** node:http with raw header lines: the only way to send a header name twice (RFC 9110 §5.3 forbids merging Authorization). */
function rawTransport(input: SendInput, onStatus: (status: number) => void): Promise<RawResponse> {
  const lines: string[] = [];
  input.headers.forEach((value, name) => lines.push(name, value));
  for (const [name, value] of input.repeatedHeaders ?? []) lines.push(name, value);
  if (input.body !== undefined) lines.push('content-length', String(Buffer.byteLength(input.body)));
  const url = new URL(input.url);
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: input.method, headers: lines, signal: AbortSignal.timeout(input.timeoutMs) }, (res) => {
      onStatus(res.statusCode ?? 0);
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(res.headers)) if (name !== 'set-cookie' && value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
        resolve({ status: res.statusCode ?? 0, headers, setCookies: res.headers['set-cookie'] ?? [], text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end(input.body);
  });
}

type SendOutcome =
  | { ok: true; exchange: RecordedExchange; response: HttpResponse }
  | { ok: false; exchange: RecordedExchange; cause: string };

async function send(input: SendInput): Promise<SendOutcome> {
  const id = input.recorder.nextId();
  const started = Date.now();
  const shownUrl = redactRecordedUrl(input.url);
  const requestHeaders: Record<string, string> = {};
  input.headers.forEach((value, name) => (requestHeaders[name] = value));
  // A repeated header line is shown as its own entry ("authorization #2"), each redacted on its own.
  (input.repeatedHeaders ?? []).forEach(([name, value], i) => {
    const key = name.toLowerCase();
    requestHeaders[requestHeaders[key] === undefined ? key : `${key} #${i + 2}`] = value;
  });
  const exchange: RecordedExchange = {
    id,
    from: input.from,
    to: input.to,
    kind: input.kind,
    method: input.method,
    url: shownUrl,
    startedAt: new Date(started).toISOString(),
    durationMs: 0,
    request: { headers: redactRecordedHeaders(requestHeaders) },
  };
  if (input.label) exchange.label = input.label;
  if (input.traceId) exchange.traceId = input.traceId;
  if (input.body !== undefined) exchange.request.body = redactRecordedBody(input.body, input.headers.get('content-type') ?? undefined);

  let status: number | undefined;
  let headers: Record<string, string> = {};
  let setCookies: string[] = [];
  try {
    const transport = input.repeatedHeaders?.length ? rawTransport : fetchTransport;
    const res = await transport(input, (s) => (status = s));
    setCookies = res.setCookies;
    headers = res.headers;
    if (setCookies.length) headers = { ...headers, 'set-cookie': setCookies.join(', ') };
    const text = res.text;
    status = res.status;
    const durationMs = Date.now() - started;
    exchange.durationMs = durationMs;
    const recorded: NonNullable<RecordedExchange['response']> = { status, headers: redactRecordedHeaders(headers, setCookies) };
    exchange.response = recorded;
    if (text) recorded.body = redactRecordedBody(text, headers['content-type']);
    input.recorder.add(exchange);
    return {
      ok: true,
      exchange,
      response: {
        exchangeId: id,
        status,
        headers,
        setCookies,
        text,
        json: parseJson(text),
        durationMs,
        request: `${input.method} ${shownUrl}`,
      },
    };
  } catch (e) {
    const cause = redactMessage(describeCause(e, input.timeoutMs));
    exchange.durationMs = Date.now() - started;
    exchange.error = cause;
    if (status !== undefined) exchange.response = { status, headers: redactRecordedHeaders(headers, setCookies) };
    input.recorder.add(exchange);
    return { ok: false, exchange, cause };
  }
}

export class RecordingHttpClient implements HttpClient {
  readonly baseUrl: string;

  constructor(private readonly options: ClientOptions) {
    this.baseUrl = options.baseUrl;
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    if (this.options.isOpen && !this.options.isOpen()) {
      throw new Error(`the scenario has ended; no more requests to ${this.options.to} (${req.method} ${req.path})`);
    }
    const headers = new Headers(req.headers ?? {});
    if (!headers.has('user-agent')) headers.set('user-agent', harnessUserAgent());
    // The check's trace (W3C Trace Context): roles that propagate it tie their own calls to this check.
    const traceId = this.options.recorder.currentCheck()?.traceId;
    if (traceId && !headers.has('traceparent')) {
      headers.set('traceparent', `00-${traceId}-${randomBytes(8).toString('hex')}-01`);
      headers.set('tracestate', `${TRACESTATE_KEY}=${this.options.from}`);
    }
    const body = encodeRequestBody(req, headers);
    const input: SendInput = {
      recorder: this.options.recorder,
      kind: 'scenario',
      from: this.options.from,
      to: this.options.to,
      method: req.method,
      url: resolveUrl(this.baseUrl, req.path),
      headers,
      timeoutMs: req.timeoutMs ?? this.options.timeoutMs,
    };
    if (body !== undefined) input.body = body;
    if (req.label) input.label = req.label;
    if (req.repeatedHeaders) input.repeatedHeaders = req.repeatedHeaders;
    if (traceId) input.traceId = traceId;
    const outcome = await send(input);
    if (!outcome.ok) {
      this.options.watch?.noResponse(this.options.to, `${req.method} ${outcome.exchange.url}: ${outcome.cause}`);
      throw new TransportError(
        `no response from ${this.options.to} (${req.method} ${outcome.exchange.url}): ${outcome.cause}`,
        outcome.exchange.id,
      );
    }
    this.options.watch?.answered(this.options.to);
    return outcome.response;
  }
}

export interface ControlClientOptions {
  recorder: ExchangeRecorder;
  role: Role;
  baseUrl: string;
  token: string;
  timeoutMs: number;
}

/**
 * The harness control API of an emulator (HEADER.HARNESS_CONTROL). `path` is relative to the
 * role's base URL and includes the prefix (`/-/harness/...`). Recorded as kind 'control'
 * (kept in the JSON, never drawn); a non-2xx answer throws an Error naming role, route,
 * status and body.
 */
export class RecordingControlClient extends HarnessControlClient implements ControlClient {
  readonly role: Role;

  constructor(private readonly options: ControlClientOptions) {
    super();
    this.role = options.role;
  }

  async call<T = unknown>(method: HttpRequest['method'], path: string, json?: unknown): Promise<T> {
    const headers = new Headers({ [HEADER.HARNESS_CONTROL]: this.options.token, 'user-agent': harnessUserAgent() });
    const input: SendInput = {
      recorder: this.options.recorder,
      kind: 'control',
      from: 'harness',
      to: this.role,
      method,
      url: resolveUrl(this.options.baseUrl, path),
      headers,
      timeoutMs: this.options.timeoutMs,
    };
    if (json !== undefined) {
      headers.set('content-type', 'application/json');
      input.body = JSON.stringify(json);
    }
    const outcome = await send(input);
    if (!outcome.ok) {
      throw new TransportError(
        `no response from ${this.role} control API (${method} ${outcome.exchange.url}): ${outcome.cause}`,
        outcome.exchange.id,
      );
    }
    const res = outcome.response;
    if (res.status < 200 || res.status >= 300) {
      const body = redactMessage(res.text).slice(0, 500);
      throw new Error(`control API of ${this.role}: ${method} ${redactRecordedUrl(path)} answered ${res.status}: ${body || '(empty body)'}`);
    }
    return (res.json !== undefined ? res.json : res.text || undefined) as T;
  }
}

/**
 * The body of `req` as sent: `json` serialized, `form` URL-encoded (each setting its
 * content-type unless `headers` has one), else `body` as given; undefined for none.
 */
export function encodeRequestBody(req: HttpRequest, headers: Headers): string | undefined {
  if (req.json !== undefined) {
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    return JSON.stringify(req.json);
  }
  if (req.form) {
    if (!headers.has('content-type')) headers.set('content-type', 'application/x-www-form-urlencoded');
    return new URLSearchParams(req.form).toString();
  }
  return req.body;
}
