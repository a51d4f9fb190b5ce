import type { ServerResponse } from 'node:http';
import { OAUTH_PATH, TOKEN_INFO_INVALID, type OAuthTokenInfo } from '#contracts';
import { listenOnLoopback, sendJson, type LoopbackServer } from '#common/testing/loopback';

/** How the double misbehaves on every request while set. */
export type TokenInfoFault = 'hang' | 'huge' | 'redirect' | 'http-500';

interface Grant {
  scopes: string[];
  /** Epoch ms. */
  expiresAt: number;
  revoked: boolean;
}

/**
 * A loopback double of GitLab's GET /oauth/token/info (Oauth::TokenInfoController) for the
 * gateway's back-channel tests (the gitlab app's own OAuth server is not a dependency of these
 * tests): 200 with Doorkeeper's body plus GitLab's `scopes` and `expires_in_seconds` for a
 * token it granted and has not revoked; 401 TOKEN_INFO_INVALID for anything else. It records
 * every request; `fault` makes it fail, `delayMs` makes it slow.
 */
export class TokenInfoDouble {
  /** Every request: its path and its Authorization header. */
  readonly requests: Array<{ method: string | undefined; path: string; authorization: string | undefined }> = [];
  fault: TokenInfoFault | undefined;
  delayMs = 0;
  /** Where the `redirect` fault sends callers (a URL the gateway must never call). */
  redirectTo = 'http://127.0.0.1:1/';
  private readonly grants = new Map<string, Grant>();
  private server: LoopbackServer | undefined;

  get url(): string {
    return this.server!.url;
  }

  static async start(): Promise<TokenInfoDouble> {
    const double = new TokenInfoDouble();
    double.server = await listenOnLoopback((req, res) => {
      double.requests.push({ method: req.method, path: req.url ?? '/', authorization: req.headers.authorization });
      const answer = () => double.answer(req.method, req.url ?? '/', req.headers.authorization, res);
      if (double.delayMs > 0) setTimeout(answer, double.delayMs);
      else answer();
    });
    return double;
  }

  /** Grants `token` with these scopes for `expiresInSeconds` (GitLab's default: 7200). */
  grant(token: string, scopes: string[], expiresInSeconds = 7200): void {
    this.grants.set(token, { scopes, expiresAt: Date.now() + expiresInSeconds * 1000, revoked: false });
  }

  revoke(token: string): void {
    const grant = this.grants.get(token);
    if (grant) grant.revoked = true;
  }

  /** Requests for the token-info path. */
  get lookups(): number {
    return this.requests.filter((r) => r.path === OAUTH_PATH.TOKEN_INFO).length;
  }

  async close(): Promise<void> {
    await this.server?.close();
  }

  private answer(method: string | undefined, path: string, authorization: string | undefined, res: ServerResponse): void {
    if (this.fault === 'hang') return;
    if (this.fault === 'http-500') return sendJson(res, 500, { message: '500 Internal Server Error' });
    if (this.fault === 'redirect') return void res.writeHead(302, { location: this.redirectTo }).end();
    if (this.fault === 'huge') {
      // Streamed without Content-Length: the gateway must stop reading at its bound.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"scopes":["api"],"padding":"');
      const chunk = 'x'.repeat(64 * 1024);
      for (let i = 0; i < 16; i++) res.write(chunk);
      return void res.end('"}');
    }
    if (method !== 'GET' || path !== OAUTH_PATH.TOKEN_INFO) return sendJson(res, 404, { error: 'Not Found' });
    const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
    const grant = token === undefined ? undefined : this.grants.get(token);
    const left = grant === undefined ? 0 : Math.floor((grant.expiresAt - Date.now()) / 1000);
    if (grant === undefined || grant.revoked || left <= 0) return sendJson(res, TOKEN_INFO_INVALID.status, TOKEN_INFO_INVALID.body, TOKEN_INFO_INVALID.headers);
    const body: OAuthTokenInfo = {
      resource_owner_id: 1,
      scope: grant.scopes,
      expires_in: left,
      application: { uid: 'web-ide' },
      created_at: Math.floor(Date.now() / 1000),
      scopes: grant.scopes,
      expires_in_seconds: left,
    };
    sendJson(res, 200, body);
  }
}
