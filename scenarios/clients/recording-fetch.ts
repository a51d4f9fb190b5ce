/**
 * A `fetch` over the scenario's recording HTTP client, for a library-driven client (the OAuth
 * 2.1 reference client on oauth4webapi) to run inside a check: every request it makes lands in
 * the report and in the observed sequence diagram, and the URLs it takes from the server's
 * metadata can be rebased onto the target (a proxy or a published port in front of the issuer).
 * Redirects are returned, never followed (the recording client's rule; oauth4webapi asks for
 * `redirect: 'manual'` anyway). The request's abort signal is not forwarded: the recording
 * client's per-request timeout bounds each request instead.
 */
import type { HttpClient, HttpRequest } from '../runner/types.js';

export interface RecordingFetchOptions {
  /** Where a URL is really sent (default: as it is). */
  rebase?: (url: string) => string;
  /** The exchange's label in the report (default: "METHOD path"). */
  label?: (method: string, url: URL, body: string | undefined) => string;
}

/** Statuses whose Response may not carry a body (Fetch standard, "null body status"). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/** A fetch whose requests go through `http` (method, headers, body as the caller built them). */
export function recordingFetch(http: HttpClient, options: RecordingFetchOptions = {}): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    // A Request normalises what the caller gave: a URLSearchParams body gets its content-type.
    const request = new Request(input, init);
    const method = request.method.toUpperCase() as HttpRequest['method'];
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => (headers[name] = value));
    const body = method === 'GET' || method === 'HEAD' ? undefined : await request.text();
    const url = new URL(request.url);
    const res = await http.request({
      method,
      path: options.rebase ? options.rebase(url.href) : url.href,
      headers,
      ...(body !== undefined ? { body } : {}),
      label: options.label ? options.label(method, url, body) : `${method} ${url.pathname}`,
    });
    const answerHeaders = new Headers();
    for (const [name, value] of Object.entries(res.headers)) if (name !== 'set-cookie') answerHeaders.set(name, value);
    for (const cookie of res.setCookies) answerHeaders.append('set-cookie', cookie);
    return new Response(NULL_BODY.has(res.status) ? null : res.text, { status: res.status, headers: answerHeaders });
  }) as typeof fetch;
}
