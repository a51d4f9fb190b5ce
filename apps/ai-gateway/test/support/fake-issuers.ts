import { createHash } from 'node:crypto';
import { PATH } from '#contracts';
import type { FetchFn } from '../../src/di.js';

/** What one in-memory issuer serves; tests change these fields between calls. */
export interface FakeIssuer {
  /** The `issuer` its discovery document names (the issuer URL unless a test lies). */
  discoveryIssuer: string;
  jwksUri: string;
  jwks: unknown;
  /** Served as the JWKS body instead of `jwks` when set (garbage, huge bodies). */
  rawJwks?: string;
  /** HTTP status of both documents (200 when up). */
  status: number;
  /** When set, fetches fail as a network error would. */
  networkError?: boolean;
  /** When set, fetches wait for this promise (single-flight tests). */
  gate?: Promise<void>;
  /** When set, the JWKS carries an ETag and a matching If-None-Match gets 304 (RFC 9110 §13.1.2). */
  etags?: boolean;
}

/**
 * An injected fetch serving discovery and JWKS documents of in-memory issuers, recording every
 * URL fetched (with its status). Unit tests use it instead of a network.
 */
export class FakeIssuers {
  readonly issuers = new Map<string, FakeIssuer>();
  readonly fetched: Array<{ url: string; userAgent: string | null; ifNoneMatch: string | null; status?: number }> = [];

  add(issuer: string, jwks: unknown): FakeIssuer {
    const entry: FakeIssuer = { discoveryIssuer: issuer, jwksUri: `${issuer}${PATH.JWKS}`, jwks, status: 200 };
    this.issuers.set(issuer, entry);
    return entry;
  }

  count(fragment: string): number {
    return this.fetched.filter((f) => f.url.includes(fragment)).length;
  }

  readonly fetch: FetchFn = async (url, init) => {
    const headers = new Headers(init.headers);
    const record: FakeIssuers['fetched'][number] = { url, userAgent: headers.get('user-agent'), ifNoneMatch: headers.get('if-none-match') };
    this.fetched.push(record);
    const answer = (body: string, status: number, extra: Record<string, string> = {}) => {
      record.status = status;
      return new Response(status === 304 ? null : body, { status, headers: { 'content-type': 'application/json', ...extra } });
    };
    for (const [issuer, entry] of this.issuers) {
      const isDiscovery = url === `${issuer.replace(/\/$/, '')}${PATH.OPENID_CONFIGURATION}`;
      const isJwks = url === entry.jwksUri;
      if (!isDiscovery && !isJwks) continue;
      if (entry.gate) await entry.gate;
      if (entry.networkError) throw new TypeError('fetch failed');
      if (isDiscovery) return answer(JSON.stringify({ issuer: entry.discoveryIssuer, jwks_uri: entry.jwksUri }), entry.status);
      const body = entry.rawJwks ?? JSON.stringify(entry.jwks);
      if (!entry.etags || entry.status !== 200) return answer(body, entry.status);
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"`;
      return answer(body, record.ifNoneMatch === etag ? 304 : 200, { etag });
    }
    return answer('{"message":"404 Not Found"}', 404);
  };
}
