/**
 * Load is only ever sent to this machine: every target URL must name a loopback host
 * (127.0.0.0/8, localhost, [::1]), so a mistyped profile cannot load someone else's server.
 */

import { isLoopbackHost } from '#contracts';

/** Whether `url` (absolute http(s)) names a loopback host. */
export function isLoopbackUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && isLoopbackHost(parsed.hostname);
}

/** Throws an Error naming each non-loopback target (role and URL). */
export function assertLoopback(targets: Readonly<Record<string, string | undefined>>): void {
  const remote = Object.entries(targets).filter((e): e is [string, string] => e[1] !== undefined && !isLoopbackUrl(e[1]));
  if (remote.length) {
    throw new Error(
      `load is sent to loopback targets only (127.0.0.0/8, localhost, [::1]); not to ${remote.map(([role, url]) => `${role} ${url}`).join(', ')}`,
    );
  }
}
