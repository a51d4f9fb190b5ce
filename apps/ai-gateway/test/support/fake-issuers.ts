import { PATH } from '../../../../contracts/src/index.js';
import type { FetchFn } from '../../src/tokens.js';

/** What one in-memory issuer serves; tests change these fields between calls. */
export interface FakeIssuer {
  /** The `issuer` its discovery document names (the issuer URL unless a test lies). */
  discoveryIssuer: string;
  jwksUri: string;
  jwks: unknown;
  /** HTTP status of both documents (200 when up). */
  status: number;
  /** When set, fetches fail as a network error would. */
  networkError?: boolean;
  /** When set, fetches wait for this promise (single-flight tests). */
  gate?: Promise<void>;
}

/**
 * An injected fetch serving discovery and JWKS documents of in-memory issuers, recording every
 * URL fetched. Unit tests use it instead of a network.
 */
export class FakeIssuers {
  readonly issuers = new Map<string, FakeIssuer>();
  readonly fetched: Array<{ url: string; userAgent: string | null }> = [];

  add(issuer: string, jwks: unknown): FakeIssuer {
    const entry: FakeIssuer = { discoveryIssuer: issuer, jwksUri: `${issuer}${PATH.JWKS}`, jwks, status: 200 };
    this.issuers.set(issuer, entry);
    return entry;
  }

  count(fragment: string): number {
    return this.fetched.filter((f) => f.url.includes(fragment)).length;
  }

  readonly fetch: FetchFn = async (url, init) => {
    this.fetched.push({ url, userAgent: new Headers(init.headers).get('user-agent') });
    for (const [issuer, entry] of this.issuers) {
      const isDiscovery = url === `${issuer}${PATH.OPENID_CONFIGURATION}`;
      const isJwks = url === entry.jwksUri;
      if (!isDiscovery && !isJwks) continue;
      if (entry.gate) await entry.gate;
      if (entry.networkError) throw new TypeError('fetch failed');
      const body = isDiscovery ? { issuer: entry.discoveryIssuer, jwks_uri: entry.jwksUri } : entry.jwks;
      return new Response(JSON.stringify(body), { status: entry.status, headers: { 'content-type': 'application/json' } });
    }
    return new Response('{"message":"404 Not Found"}', { status: 404 });
  };
}
