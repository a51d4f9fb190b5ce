/**
 * The "system browser" the ide-client-oauth scenario gives an IDE client under test, through the
 * `BROWSER` environment variable (the convention `xdg-open`, Python's webbrowser and most CLIs
 * follow): run with the authorization URL as its one argument, it follows the redirects as a
 * browser would (the runner's authorization server signs its user in and approves at once) and
 * finally requests the client's loopback redirect URI, delivering the authorization response to
 * the client's listener (RFC 8252 §7.3). Only loopback URLs are followed; it exits 0 once a
 * non-redirect answer came back, 1 (with the reason on stderr) otherwise. It prints no URL: they
 * carry codes.
 */
import { isLoopbackHost } from '#contracts';

const MAX_HOPS = 10;

async function browse(start: string): Promise<void> {
  let url = new URL(start);
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    if (url.protocol !== 'http:' || !isLoopbackHost(url.hostname)) throw new Error(`refusing to open a non-loopback URL (${url.protocol}//${url.host})`);
    const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(30_000) });
    const location = res.headers.get('location');
    await res.body?.cancel();
    if (res.status < 300 || res.status >= 400 || !location) return;
    url = new URL(location, url);
  }
  throw new Error(`more than ${MAX_HOPS} redirects`);
}

const target = process.argv[2];
if (!target) {
  process.stderr.write('usage: auto-browser URL\n');
  process.exit(2);
}
browse(target).then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`auto-browser: ${(e as Error).message}\n`);
    process.exit(1);
  },
);
