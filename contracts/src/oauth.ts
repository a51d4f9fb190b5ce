/**
 * GitLab's OAuth 2.0 authorization server as a contract: its paths, scopes, token rules and the
 * exact error bodies of the routes that are GitLab's own (not the engine's). The gitlab app
 * serves these; the checks and reference clients read them from here, never from copies.
 *
 * Sources: GitLab `config/initializers/doorkeeper.rb` (gitlabhq@017a6c12), GitLab
 * `app/controllers/oauth/*_controller.rb`, Doorkeeper v5.9.3 (`lib/doorkeeper/oauth/*`).
 */
import { PATH } from './constants.js';

/** GitLab's OAuth routes, plus the ones the emulator adds (INTROSPECT, the INTERACTION pages, END_SESSION_CONFIRM). */
export const OAUTH_PATH = {
  AUTHORIZE: '/oauth/authorize',
  TOKEN: '/oauth/token',
  REVOKE: '/oauth/revoke',
  /** Doorkeeper's token info plus GitLab's `scopes` and `expires_in_seconds` (Oauth::TokenInfoController). */
  TOKEN_INFO: '/oauth/token/info',
  USERINFO: '/oauth/userinfo',
  /** RFC 7662. GitLab serves no introspection endpoint: the emulator adds it. */
  INTROSPECT: '/oauth/introspect',
  /** RFC 7591 (and GitLab's Oauth::DynamicRegistrationsController); RFC 7592 below it at /{client_id}. */
  REGISTER: '/oauth/register',
  JWKS: PATH.JWKS,
  OPENID_CONFIGURATION: PATH.OPENID_CONFIGURATION,
  /** RFC 8414: the same document as OPENID_CONFIGURATION. */
  AUTHORIZATION_SERVER_METADATA: '/.well-known/oauth-authorization-server',
  /** RFC 9728. */
  PROTECTED_RESOURCE_METADATA: '/.well-known/oauth-protected-resource',
  /** The emulator's sign-in and consent pages of one authorization (`/{uid}`); GitLab renders them at /oauth/authorize. */
  INTERACTION: '/oauth/interaction',
  /**
   * oidc-provider's `end_session_confirm` route: when the `_gitlab_session` user differs from the
   * engine's own session, the engine ends its session through a self-posting form here. GitLab
   * has no such path.
   */
  END_SESSION_CONFIRM: '/oauth/logout/confirm',
  /** Where the Web IDE's OAuth application redirects (seed 000 option 1). */
  IDE_CALLBACK: '/oauth/ide/callback',
  /** GitLab's admin API for OAuth applications (API::Applications). */
  APPLICATIONS: '/api/v4/applications',
} as const;

/**
 * The scopes an OAuth application may hold (GitLab's Gitlab::Auth scopes the harness uses). A
 * token authenticates REST calls like a personal access token with the same scopes.
 */
export const OAUTH_SCOPES = ['api', 'read_api', 'read_user', 'ai_features', 'openid', 'profile', 'email'] as const;
export type OAuthScope = (typeof OAUTH_SCOPES)[number];

/**
 * The instance-wide trusted Web IDE OAuth application of the demo fixture (GitLab's
 * WebIde::DefaultOauthApplication, seed 000 option 1): public (PKCE), trusted (no consent
 * screen), redirect URI `<instance>/oauth/ide/callback`, scope `api`: GitLab's
 * `default_settings` are name 'GitLab Web IDE', scopes ['api'], trusted true, confidential false
 * (GitLab lib/web_ide/default_oauth_application.rb, `default_settings`). GitLab
 * generates its uid per instance; the emulator fixes it so the Web IDE and the checks can name it.
 */
export const WEB_IDE_OAUTH_APPLICATION = {
  CLIENT_ID: 'ed7f3cbbd7e95e6c0e4b8f7c7f5d2a0c9b4ab6d0e6f1b7a2c3d4e5f60718293a',
  NAME: 'GitLab Web IDE',
  SCOPES: ['api'],
} as const;

/**
 * The demo fixture's third-party confidential application (the consent-flow browser test): its
 * client_id; the secret and redirect URI are in contracts/fixtures/demo-data.yaml.
 */
export const DEMO_THIRD_PARTY_OAUTH_CLIENT_ID = 'demo-third-party-app';

/**
 * The only scope GitLab gives a dynamically registered application: "All dynamically created
 * OAuth applications can only create mcp scoped access tokens" (GitLab
 * app/controllers/oauth/dynamic_registrations_controller.rb, gitlabhq@0286e4c6).
 */
export const GITLAB_DYNAMIC_CLIENT_SCOPE = 'mcp';

/** Every scope the server knows: the application scopes and the dynamic-client scope. */
export const OAUTH_KNOWN_SCOPES: readonly string[] = [...OAUTH_SCOPES, GITLAB_DYNAMIC_CLIENT_SCOPE];

/** GitLab's token lifetimes (seconds) and engine choices the checks rely on. */
export const OAUTH_TOKEN = {
  /** `access_token_expires_in 7200` (GitLab config/initializers/doorkeeper.rb). */
  ACCESS_TOKEN_TTL_SECONDS: 7200,
  /** Doorkeeper's default `authorization_code_expires_in` (10 minutes), the RFC 6749 §4.1.2 maximum. */
  AUTHORIZATION_CODE_TTL_SECONDS: 600,
  TOKEN_TYPE: 'Bearer',
  /** The only PKCE method the server accepts (`plain` is refused). */
  CODE_CHALLENGE_METHOD: 'S256',
} as const;

/**
 * How POST /oauth/register answers: `rfc7591` (the default) is RFC 7591 with RFC 7592
 * management; `gitlab` is GitLab's own controller (only `redirect_uris` and `client_name` are
 * read, a public PKCE client with scope `mcp`, no registration access token).
 */
export const OAUTH_REGISTRATION_MODES = ['rfc7591', 'gitlab'] as const;
export type OAuthRegistrationMode = (typeof OAUTH_REGISTRATION_MODES)[number];

/** Prefix GitLab gives the name of a dynamically registered application. */
export const GITLAB_DYNAMIC_APPLICATION_NAME_PREFIX = '[Unverified Dynamic Application] ';

/** Doorkeeper's realm (GitLab leaves `realm` at its default) for the Bearer challenges Doorkeeper writes. */
export const DOORKEEPER_REALM = 'Doorkeeper';

/**
 * GitLab's answer for a missing, unknown, revoked or expired token at GET /oauth/token/info:
 * `Doorkeeper::OAuth::InvalidTokenResponse.new` (GitLab app/controllers/oauth/token_info_controller.rb,
 * gitlabhq@b39512ed L15-17). In Doorkeeper v5.9.3 that response is `invalid_token` with `state:
 * :unauthorized` and status 401 (lib/doorkeeper/oauth/invalid_token_response.rb L21-27), its
 * description "The access token is invalid" (config/locales/en.yml L128, reason :unknown), its
 * body `{error, error_description, state}` (error_response.rb L44-49) and its headers
 * Cache-Control `no-store, no-cache` and a Bearer challenge (error_response.rb L71-77, L97-99).
 * GitLab's own spec expects 401 `invalid_token` for all four cases
 * (spec/controllers/oauth/token_info_controller_spec.rb, gitlabhq@9fc730fe). An older GitLab
 * answered `ErrorResponse.new(name: :invalid_request)` (400) instead (gitlabhq@5ee120f4).
 */
export const TOKEN_INFO_INVALID = {
  status: 401,
  body: { error: 'invalid_token', error_description: 'The access token is invalid', state: 'unauthorized' },
  headers: {
    'Cache-Control': 'no-store, no-cache',
    'WWW-Authenticate': `Bearer realm="${DOORKEEPER_REALM}", error="invalid_token", error_description="The access token is invalid"`,
  },
} as const;

/** The successful token response (RFC 6749 §5.1) with Doorkeeper's `created_at`. */
export interface OAuthTokenResponse {
  access_token: string;
  token_type: 'Bearer';
  /** Seconds. */
  expires_in: number;
  refresh_token?: string;
  scope: string;
  /** Epoch seconds (Doorkeeper). */
  created_at: number;
  id_token?: string;
}

/** An OAuth error body (RFC 6749 §5.2, RFC 6750 §3.1, RFC 7591 §3.2.2). */
export interface OAuthErrorBody {
  error: string;
  error_description?: string;
  error_uri?: string;
  state?: string;
  scope?: string;
}

/** GET /oauth/token/info: Doorkeeper's AccessToken#as_json plus GitLab's two copies. */
export interface OAuthTokenInfo {
  resource_owner_id: number;
  scope: string[];
  /** Remaining lifetime, whole seconds. */
  expires_in: number;
  application: { uid: string };
  /** Epoch seconds. */
  created_at: number;
  scopes: string[];
  expires_in_seconds: number;
}

/**
 * Doorkeeper's `invalid_request` body (Doorkeeper::OAuth::ErrorResponse with name
 * :invalid_request; GitLab's config/locales/doorkeeper.en.yml description). The engine's own
 * invalid_request answers carry its own descriptions; only the status and `error` are contract.
 */
export const DOORKEEPER_INVALID_REQUEST = {
  error: 'invalid_request',
  error_description: 'The request is missing a required parameter, includes an unsupported parameter value, or is otherwise malformed.',
} as const;

/** GitLab's POST /oauth/register answer (registration mode `gitlab`). */
export interface GitlabDynamicRegistration {
  client_id: string;
  client_id_issued_at: number;
  redirect_uris: string[];
  token_endpoint_auth_method: 'none';
  grant_types: ['authorization_code'];
  require_pkce: true;
  client_name: string;
  scope: string;
  dynamic: true;
}

/** GitLab's API::Entities::Application (GET /api/v4/applications). */
export interface OAuthApplicationView {
  id: number;
  application_id: string;
  application_name: string;
  /** The redirect URIs, newline-separated as GitLab stores them. */
  callback_url: string;
  confidential: boolean;
}

/** API::Entities::ApplicationWithSecret (POST /api/v4/applications): the secret is shown once, confidential or not. */
export interface OAuthApplicationWithSecret extends OAuthApplicationView {
  secret: string;
}

/** RFC 9728 protected resource metadata of the instance's API. */
export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  scopes_supported: string[];
  bearer_methods_supported: string[];
  resource_name: string;
  resource_documentation?: string;
}
