/**
 * oidc-provider's configuration for GitLab's OAuth rules (Doorkeeper as GitLab configures it in
 * config/initializers/doorkeeper.rb). Each choice names the rule it serves; what oidc-provider
 * does by itself (S256-only PKCE, exact redirect_uri, RFC 9207 `iss`, single-use codes, refresh
 * reuse detection, no-store) is left to it and only pinned by tests (oauth-rules.e2e-spec.ts).
 */
import { OAUTH_KNOWN_SCOPES, OAUTH_PATH, OAUTH_TOKEN, type OAuthRegistrationMode } from '#contracts';
import type { GitlabUser } from '../identity/identity.service.js';
import type { OAuthStore } from './oauth-store.js';
import type { OidcClient, OidcContext, OidcGrant, OidcProviderModule } from './oidc-provider-api.js';
import { errorPage } from './pages.js';

/** Client metadata of GitLab's own (not in RFC 7591): stored with the client, never registrable. */
export const GITLAB_CLIENT_METADATA = {
  /** GitLab's `trusted` application flag: no consent screen. */
  TRUSTED: 'gitlab_trusted',
  /** Registered through GitLab-mode dynamic registration. */
  DYNAMIC: 'gitlab_dynamic',
  /** The application's numeric id in GitLab's admin API (Doorkeeper::Application#id). */
  APPLICATION_ID: 'gitlab_application_id',
} as const;

/** Lifetimes (seconds) of what the server stores besides access tokens and codes (contracts OAUTH_TOKEN). */
const TTL = {
  IdToken: 3600,
  Interaction: 3600,
  // Doorkeeper refresh tokens never expire (GitLab sets no refresh-token expiry); a year stands in.
  RefreshToken: 365 * 24 * 3600,
  Grant: 365 * 24 * 3600,
  Session: 7 * 24 * 3600,
} as const;

export interface ProviderOptions {
  lib: OidcProviderModule;
  store: OAuthStore;
  registrationMode: OAuthRegistrationMode;
  /** Private JWKs, the active key first (SigningKeys.privateJwks). */
  jwks: Array<Record<string, unknown>>;
  /** Keys of oidc-provider's signed cookies; kept across rebuilds so interactions survive a key rotation. */
  cookieKeys: string[];
  /** The instance URL, exactly (the issuer). */
  issuer: string;
  /** The user signed in with `_gitlab_session` on this request, if any. */
  sessionUserId(cookieHeader: string | undefined): number | undefined;
  findUser(id: number): GitlabUser | undefined;
}

/** The user's OpenID Connect claims (GitLab's Doorkeeper::OpenidConnect claims, lib/gitlab/...openid_connect). */
function claimsOf(user: GitlabUser, issuer: string): Record<string, unknown> {
  return {
    sub: String(user.id),
    name: user.name,
    nickname: user.username,
    preferred_username: user.username,
    // The emulator's users have no mailbox: a stable, non-routable address.
    email: `${user.username}@users.noreply.gitlab.example`,
    email_verified: true,
    website: '',
    profile: `${issuer}/${user.username}`,
    picture: '',
    groups: [...user.groups],
  };
}

/** Whether a client carries GitLab's trusted flag. */
export function isTrusted(client: OidcClient | undefined): boolean {
  return client?.[GITLAB_CLIENT_METADATA.TRUSTED] === true;
}

export function buildProviderConfiguration(o: ProviderOptions): Record<string, unknown> {
  const { errors, interactionPolicy } = o.lib;
  const policy = interactionPolicy.base();
  // GitLab's session decides who authorizes: unless the `_gitlab_session` user is the engine
  // session's account, the login prompt is asked (and answered at once by the interaction page
  // when a `_gitlab_session` exists, so a signed-in user is not asked again).
  policy.get('login')?.checks.add(
    new interactionPolicy.Check('gitlab_session', 'the GitLab session user must be the End-User', (ctx) => {
      const userId = o.sessionUserId(ctx.get('cookie') || undefined);
      return userId !== undefined && String(userId) === ctx.oidc.session?.accountId ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT;
    }),
  );
  const known = new Set(OAUTH_KNOWN_SCOPES);
  const rfc7591 = o.registrationMode === 'rfc7591';

  return {
    adapter: (model: string) => o.store.adapterFor(model),
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    },
    responseTypes: ['code'],
    // Doorkeeper's client authentication: HTTP Basic or the body; public clients none.
    clientAuthMethods: ['none', 'client_secret_basic', 'client_secret_post'],
    scopes: [...OAUTH_KNOWN_SCOPES],
    claims: {
      openid: ['sub'],
      profile: ['name', 'nickname', 'preferred_username', 'website', 'profile', 'picture', 'groups'],
      email: ['email', 'email_verified'],
    },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true, initialAccessToken: false, issueRegistrationAccessToken: rfc7591 },
      // RFC 7592 in rfc7591 mode only: GitLab's answer has no registration access token.
      registrationManagement: { enabled: rfc7591, rotateRegistrationAccessToken: false },
      // RFC 7009 §2.1: a client revokes its own tokens; another client's token is left alone
      // and the answer is still 200 (oidc-provider skips the revocation when this is false).
      revocation: { enabled: true, allowedPolicy: async (_ctx: OidcContext, client: OidcClient, token: { clientId?: string }) => token.clientId === client.clientId },
      introspection: {
        enabled: true,
        // A public client may introspect its own tokens only (oidc-provider's default for it).
        allowedPolicy: async (_ctx: OidcContext, client: OidcClient, token: { clientId?: string }) =>
          !(client.clientAuthMethod === 'none' && token.clientId !== client.clientId),
      },
      userinfo: { enabled: true },
      rpInitiatedLogout: { enabled: false },
    },
    routes: {
      authorization: OAUTH_PATH.AUTHORIZE,
      token: OAUTH_PATH.TOKEN,
      revocation: OAUTH_PATH.REVOKE,
      introspection: OAUTH_PATH.INTROSPECT,
      userinfo: OAUTH_PATH.USERINFO,
      registration: OAUTH_PATH.REGISTER,
      // The app's own JWKS route serves this path (one key set); the engine's is never reached.
      jwks: OAUTH_PATH.JWKS,
      end_session: '/oauth/logout',
    },
    // PKCE for every client and request; oidc-provider 9 accepts S256 only.
    pkce: { required: () => true },
    ttl: {
      AccessToken: OAUTH_TOKEN.ACCESS_TOKEN_TTL_SECONDS,
      AuthorizationCode: OAUTH_TOKEN.AUTHORIZATION_CODE_TTL_SECONDS,
      ...TTL,
    },
    // Doorkeeper's `use_refresh_token`: a refresh token with every code exchange (no offline_access in GitLab).
    issueRefreshToken: async (_ctx: OidcContext, client: OidcClient) => client.grantTypeAllowed('refresh_token'),
    // Every refresh rotates the refresh token; reusing a rotated one revokes the grant (oidc-provider, grants/refresh_token.js).
    rotateRefreshToken: true,
    // GitLab's tokens outlive the browser session that authorized them.
    expiresWithSession: async () => false,
    interactions: { policy, url: (_ctx: OidcContext, interaction: { uid: string }) => `${OAUTH_PATH.INTERACTION}/${interaction.uid}` },
    loadExistingGrant: async (ctx: OidcContext) => loadGrant(ctx),
    // oidc-provider drops unknown scope values silently (check_resource.js); Doorkeeper answers
    // invalid_scope. An extraParams validator runs on every authorization request after the
    // client and redirect_uri checks, so the error is redirected to the client (with state and
    // iss). It reads the raw query: the params are filtered by then.
    extraParams: {
      gitlab_scope_check(ctx: OidcContext) {
        const raw = ctx.query.scope;
        const unknown = typeof raw === 'string' ? raw.split(' ').filter((s) => s && !known.has(s)) : [];
        if (unknown.length) throw new errors.InvalidScope('The requested scope is invalid, unknown, or malformed.', unknown.join(' '));
      },
    },
    findAccount: async (_ctx: OidcContext, sub: string) => {
      const user = /^\d+$/.test(sub) ? o.findUser(Number(sub)) : undefined;
      if (!user) return undefined;
      return { accountId: String(user.id), claims: async () => claimsOf(user, o.issuer) };
    },
    jwks: { keys: o.jwks },
    enabledJWA: { idTokenSigningAlgValues: ['RS256'] },
    cookies: { keys: o.cookieKeys },
    extraClientMetadata: {
      properties: Object.values(GITLAB_CLIENT_METADATA),
      validator(ctx: OidcContext | undefined, key: string, value: unknown) {
        // RFC 7591/7592 requests come from outside: nobody registers themselves as trusted,
        // dynamic or under an admin API id (the admin API and GitLab-mode registration set them).
        const route = ctx?.oidc?.route;
        if ((route === 'registration' || route === 'client_update') && value !== undefined) {
          throw new errors.InvalidClientMetadata(`${key} cannot be registered`);
        }
      },
    },
    // GitLab allows /oauth/token from any origin, without credentials, "for the Authorization
    // code with PKCE OAuth flow when used from a browser" (GitLab config/application.rb, the
    // Rack::Cors block `origins '*'; resource '/oauth/token', credentials: false, methods: [:post]`).
    clientBasedCORS: () => true,
    renderError: async (ctx: OidcContext, out: { error: string; error_description?: string }) => {
      ctx.type = 'html';
      ctx.body = errorPage(out.error, out.error_description ?? '');
    },
  };
}

/**
 * Which Grant an authorization request continues (oidc-provider's loadExistingGrant).
 *
 * oidc-provider's default reuses the browser session's grant for the client, so every
 * authorization in one browser shares a grantId, and one revocation, code replay or refresh
 * reuse would end all of them. GitLab's token chains are per authorization: each request gets a
 * copy of the consented grant (same scopes, no consent screen), hence its own grantId. A
 * trusted application's grant is made for what it asks (no consent screen, seed 000 option 1).
 */
async function loadGrant(ctx: OidcContext): Promise<OidcGrant | undefined> {
  const { oidc } = ctx;
  const { Grant } = oidc.provider;
  const client = oidc.client!;
  const accountId = oidc.session!.accountId!;
  const consented = oidc.result?.consent?.grantId;
  if (consented) return Grant.find(consented);
  const previousId = oidc.session!.grantIdFor(client.clientId);
  const previous = previousId ? await Grant.find(previousId) : undefined;
  const usable = previous && previous.accountId === accountId ? previous : undefined;
  const trusted = isTrusted(client);
  if (!usable && !trusted) return undefined;
  const grant = new Grant({ clientId: client.clientId, accountId });
  if (usable?.getOIDCScope()) grant.addOIDCScope(usable.getOIDCScope());
  if (usable?.getOIDCClaims().length) grant.addOIDCClaims(usable.getOIDCClaims());
  if (trusted && oidc.requestParamScopes.size) grant.addOIDCScope([...oidc.requestParamScopes].join(' '));
  await grant.save();
  return grant;
}

