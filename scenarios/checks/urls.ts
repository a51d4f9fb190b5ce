import type { ResolvedTarget } from '../runner/types.js';

/**
 * A URL an issuer published (jwks_uri, say), as the harness can reach it: URLs under the
 * issuer are rebased onto the target's URL when the two differ (a compose service name behind
 * a published port, a public name behind a proxy). Other URLs are used as they are.
 */
export function reachable(target: ResolvedTarget, publishedUrl: string): string {
  if (target.issuer === target.url || !publishedUrl.startsWith(target.issuer)) return publishedUrl;
  return target.url + publishedUrl.slice(target.issuer.length);
}
