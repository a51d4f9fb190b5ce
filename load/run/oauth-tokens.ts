/**
 * Opaque OAuth access tokens for `oauth-introspection` (seed 000 option 1), obtained as the Web
 * IDE obtains them: the authorization code flow with PKCE (RFC 6749 §4.1, RFC 7636) as the
 * profile's Web IDE application, through the scenarios' scripted browser (sign-in, consent if
 * asked), then the code exchange. Revoked afterwards (RFC 7009) where GitLab names a
 * revocation endpoint. No token appears in an error message.
 */
import { OAUTH_PATH } from '#contracts';
import { authorizationParams, authorizationUrl, callbackParams, clientAuthOf, codeVerifier, newState, postForm, s256, tokenSetOf, type OAuthClient } from '../../scenarios/clients/oauth-client.js';
import { UserAgent } from '../../scenarios/clients/user-agent.js';
import type { GitlabCredentials } from '../../scenarios/runner/types.js';
import { PlainHttpClient } from './http-client.js';

export interface OAuthTokens {
  accessTokens: string[];
  /** Revokes every token minted (refresh tokens first); never throws, returns what failed. */
  revoke(): Promise<string[]>;
}

interface ServerMetadata {
  authorization_endpoint?: string;
  token_endpoint?: string;
  revocation_endpoint?: string;
}

/**
 * `count` access tokens from the GitLab at `gitlabUrl` (issuer `issuer`, whose redirect URIs
 * given as paths are under it), for `credentials`' user and Web IDE application.
 */
export async function mintOAuthTokens(gitlabUrl: string, issuer: string, credentials: GitlabCredentials, count: number): Promise<OAuthTokens> {
  const app = credentials.oauthApplications?.webIde;
  const user = credentials.user;
  if (!app || !user) throw new Error('oauth-introspection needs the gitlab-saas user and its Web IDE OAuth application (profile credentials.user, credentials.oauth_applications.web_ide)');
  const client: OAuthClient = { ...app, redirectUri: app.redirectUri.startsWith('/') ? `${issuer}${app.redirectUri}` : app.redirectUri };
  const http = new PlainHttpClient(gitlabUrl);
  const meta = await http.request({ method: 'GET', path: OAUTH_PATH.AUTHORIZATION_SERVER_METADATA });
  const server = meta.json as ServerMetadata | undefined;
  if (meta.status !== 200 || !server?.authorization_endpoint || !server.token_endpoint) {
    throw new Error(`${meta.request} answered ${meta.status} without authorization_endpoint and token_endpoint (RFC 8414)`);
  }
  // Endpoints as GitLab names them (its issuer), reached at the URL the harness uses.
  const reach = (endpoint: string) => (endpoint.startsWith(issuer) ? `${gitlabUrl}${endpoint.slice(issuer.length)}` : endpoint);
  const minted: Array<{ access: string; refresh?: string }> = [];
  for (let i = 0; i < count; i++) {
    const verifier = codeVerifier();
    const agent = new UserAgent(http);
    const outcome = await agent.authorize(authorizationUrl(reach(server.authorization_endpoint), authorizationParams(client, s256(verifier), newState())), client.redirectUri, user);
    const code = callbackParams(outcome.callback).get('code');
    if (!code) throw new Error(`the authorization as the Web IDE was answered with ${callbackParams(outcome.callback).get('error') ?? 'no code'}`);
    const res = await postForm(http, reach(server.token_endpoint), { grant_type: 'authorization_code', code, redirect_uri: client.redirectUri, code_verifier: verifier }, clientAuthOf(client), 'code exchange');
    const tokens = tokenSetOf(res);
    if (!tokens) throw new Error(`the code exchange answered ${res.status} without a token set`);
    minted.push({ access: tokens.access_token, ...(tokens.refresh_token ? { refresh: tokens.refresh_token } : {}) });
  }
  return {
    accessTokens: minted.map((m) => m.access),
    async revoke() {
      const failed: string[] = [];
      if (!server.revocation_endpoint) return failed;
      for (const [n, m] of minted.entries()) {
        for (const [token, hint] of [[m.refresh, 'refresh_token'], [m.access, 'access_token']] as const) {
          if (!token) continue;
          try {
            const res = await postForm(http, reach(server.revocation_endpoint), { token, token_type_hint: hint }, clientAuthOf(client), 'revoke');
            if (res.status !== 200) failed.push(`token ${n + 1} (${hint}): HTTP ${res.status}`);
          } catch (e) {
            failed.push(`token ${n + 1} (${hint}): ${(e as Error).message}`);
          }
        }
      }
      return failed;
    },
  };
}
