import type { ServerResponse } from 'node:http';
import { JWKS_CACHE_CONTROL, PATH } from '#contracts';
import type { TestKey } from '#common/testing/jwt';
import { listenOnLoopback, type LoopbackServer } from '#common/testing/loopback';

/** How the issuer misbehaves on every request while set (outage tests). */
export type IssuerFault = 'http-500' | 'garbage' | 'huge' | 'hang';

/** Size of the `huge` fault's body, streamed without Content-Length. */
export const HUGE_BODY_BYTES = 1024 * 1024;

/**
 * A tiny token issuer on loopback for e2e tests (the real one is the gitlab app, which these
 * tests must not depend on): serves OIDC discovery and the JWKS of its keys, and records
 * every request it answers. Tests set `fault` to make it fail in a chosen way.
 */
export class TestIssuer {
  readonly requests: Array<{ path: string; userAgent: string | undefined; at: number }> = [];
  keys: TestKey[];
  /** Served instead of the keys' JWKS when set. */
  jwksOverride: unknown;
  /** The `issuer` its discovery document names; its URL unless a test sets another spelling. */
  discoveryIssuer: string | undefined;
  fault: IssuerFault | undefined;

  private server: LoopbackServer | undefined;

  private constructor(keys: TestKey[]) {
    this.keys = keys;
  }

  get url(): string {
    return this.server!.url;
  }

  /** Listens on a free loopback port, or on `port` (an issuer coming back where it was). */
  static async start(keys: TestKey[], port = 0): Promise<TestIssuer> {
    const issuer = new TestIssuer(keys);
    issuer.server = await listenOnLoopback((req, res) => issuer.handle(req.url ?? '/', req.headers['user-agent'], res), port);
    return issuer;
  }

  count(path: string): number {
    return this.requests.filter((r) => r.path === path).length;
  }

  stop(): Promise<void> {
    return this.server!.close();
  }

  private handle(path: string, userAgent: string | undefined, res: ServerResponse): void {
    this.requests.push({ path, userAgent, at: Date.now() });
    res.setHeader('content-type', 'application/json');
    if (this.fault) return this.misbehave(this.fault, res);
    if (path === PATH.OPENID_CONFIGURATION) {
      res.end(JSON.stringify({ issuer: this.discoveryIssuer ?? this.url, jwks_uri: `${this.url}${PATH.JWKS}` }));
    } else if (path === PATH.JWKS) {
      res.setHeader('cache-control', JWKS_CACHE_CONTROL);
      res.end(JSON.stringify(this.jwksOverride ?? { keys: this.keys.map((k) => k.publicJwk) }));
    } else {
      res.statusCode = 404;
      res.end('{"message":"404 Not Found"}');
    }
  }

  private misbehave(fault: IssuerFault, res: ServerResponse): void {
    switch (fault) {
      case 'http-500':
        res.statusCode = 500;
        res.end('{"message":"500 Internal Server Error"}');
        return;
      case 'garbage':
        res.end('<html><body>We will be back soon</body></html>');
        return;
      case 'huge': {
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        let sent = 0;
        const pump = (): void => {
          while (sent < HUGE_BODY_BYTES) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        res.write('{"keys":[');
        pump();
        return;
      }
      case 'hang':
        return; // never answers; stop() closes the connection
    }
  }
}
