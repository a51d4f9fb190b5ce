/**
 * A plain fetch HttpClient (the scenarios' interface, scenarios/runner/types.ts) for the CLI's
 * set-up calls (the OAuth browser flow): no recording, no redirects followed, a timeout.
 */
import { encodeRequestBody } from '../../scenarios/runner/recording/http-client.js';
import type { HttpClient, HttpRequest, HttpResponse } from '../../scenarios/runner/types.js';

export class PlainHttpClient implements HttpClient {
  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs = 10_000,
  ) {}

  async request(req: HttpRequest): Promise<HttpResponse> {
    const url = new URL(req.path, `${this.baseUrl}/`).href;
    const headers = new Headers(req.headers ?? {});
    const body = encodeRequestBody(req, headers);
    const started = Date.now();
    const res = await fetch(url, { method: req.method, headers, redirect: 'manual', signal: AbortSignal.timeout(req.timeoutMs ?? this.timeoutMs), ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return {
      exchangeId: '',
      status: res.status,
      headers: Object.fromEntries([...res.headers].map(([k, v]) => [k.toLowerCase(), v])),
      setCookies: res.headers.getSetCookie(),
      text,
      json,
      durationMs: Date.now() - started,
      request: `${req.method} ${url.split('?')[0]}`,
    };
  }
}
