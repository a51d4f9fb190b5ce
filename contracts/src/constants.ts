/**
 * Constants of the contracts: audiences, scopes, header names, error bodies, paths and
 * defaults. Apps and checks import them from here so both sides agree by construction.
 */

/** JWT audiences of the AI access token (seed 002). */
export const AUDIENCE = {
  /** Current audience, minted by Gitlab::Ai::AccessToken. */
  AI_GATEWAY: 'gitlab-ai-gateway',
  /** Legacy audience of Gitlab::CodeSuggestions::AccessToken, accepted during the compatibility window. */
  LEGACY_CODE_SUGGESTIONS: 'gitlab-code-suggestions',
} as const;
export type Audience = (typeof AUDIENCE)[keyof typeof AUDIENCE];

/** Unit primitives carried in the `scopes` claim. */
export const UNIT_PRIMITIVE = {
  CODE_SUGGESTIONS: 'code_suggestions',
  /** Duo Chat (ai_gateway `gitlab_features.py` L29; required by POST /v1/chat/agent, api/v1/chat/agent.py L60). */
  DUO_CHAT: 'duo_chat',
} as const;

/** Scopes a legacy-audience token is treated as carrying while the compatibility window is open (seed 002). */
export const LEGACY_AUDIENCE_IMPLIED_SCOPES: readonly string[] = [UNIT_PRIMITIVE.CODE_SUGGESTIONS];

/** Personal access token scopes the emulator knows. */
export const PAT_SCOPES = [
  'api',
  'read_api',
  'read_user',
  'ai_features',
  'read_repository',
  'write_repository',
  'sudo',
  'admin_mode',
] as const;
export type PatScope = (typeof PAT_SCOPES)[number];

/** `gitlab_realm` claim values. */
export const GITLAB_REALM = { SAAS: 'saas', SELF_MANAGED: 'self-managed' } as const;
export type GitlabRealm = (typeof GITLAB_REALM)[keyof typeof GITLAB_REALM];

/** HTTP header names, in the spelling the production systems use. */
export const HEADER = {
  AUTHORIZATION: 'Authorization',
  PRIVATE_TOKEN: 'PRIVATE-TOKEN',
  CSRF_TOKEN: 'X-CSRF-Token',
  AUTHENTICATION_TYPE: 'X-Gitlab-Authentication-Type',
  REALM: 'X-Gitlab-Realm',
  INSTANCE_ID: 'X-Gitlab-Instance-Id',
  GLOBAL_USER_ID: 'X-Gitlab-Global-User-Id',
  /** GitLab's host name, sent to the gateway on Duo Chat calls (ee/lib/gitlab/llm/ai_gateway/client.rb). */
  HOST_NAME: 'X-Gitlab-Host-Name',
  /** Correlation id GitLab sends with every gateway call (Labkit::Correlation). */
  REQUEST_ID: 'X-Request-ID',
  /** Harness-only: authenticates calls to an emulator's control API. */
  HARNESS_CONTROL: 'X-Harness-Control-Token',
} as const;

/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): the harness gives every check its own
 * trace; emulators propagate it to the calls they make and name themselves in our tracestate
 * member, so the request logs tie each call to its check and its sender.
 */
export const TRACE_HEADER = { TRACEPARENT: 'traceparent', TRACESTATE: 'tracestate' } as const;
/** Our tracestate key (W3C Trace Context §3.3.1.3): `ai-auth-harness=<sender role>`. */
export const TRACESTATE_KEY = 'ai-auth-harness';

/** The authentication type of a JWT (an AI access token), the only one GitLab's AI gateway accepts (cloud_connector/auth.py L24-25, L82 @823ced4678f5). */
export const AUTHENTICATION_TYPE_OIDC = 'oidc';

// --- Seed 000 option 1 (opaque OAuth access tokens at the AI gateway); added for issue 8 ---

/**
 * The authentication type of an opaque GitLab OAuth access token (seed 000 option 1: the Web
 * IDE sends its OAuth access token, and the gateway verifies it by a back-channel call to
 * GitLab). The harness's own value: GitLab's gateway knows only `oidc`. A gateway that does not
 * verify OAuth tokens answers it as any other unknown type (401 INVALID_TYPE).
 */
export const AUTHENTICATION_TYPE_OAUTH2 = 'oauth2';

// --- end of the seed 000 option 1 block ---

/**
 * Issuer of the tokens the AI gateway signs itself (user tokens, UJWT): ai_gateway
 * `cloud_connector/token_authority.py` L16 `SELF_SIGNED_TOKEN_ISSUER` @823ced4678f5.
 */
export const GATEWAY_SELF_ISSUER = 'gitlab-ai-gateway';

export type BoundClaim = 'gitlab_realm' | 'gitlab_instance_id' | 'sub';
export interface HeaderBinding {
  claim: BoundClaim;
  header: string;
}

/**
 * Header binding of the production gateway (ai_gateway `cloud_connector/auth.py`
 * `_validate_headers`, L98-121 @823ced4678f5), in its order: `gitlab_realm` -> X-Gitlab-Realm,
 * `gitlab_instance_id` -> X-Gitlab-Instance-Id, and `sub` -> X-Gitlab-Instance-Id for tokens
 * GitLab issues (instance tokens, whose `sub` is the instance UUID: GitLab
 * `doc/development/cloud_connector/architecture.md`), or -> X-Gitlab-Global-User-Id for the
 * gateway's own user tokens (issuer `gitlab-ai-gateway`).
 */
export const INSTANCE_TOKEN_BINDINGS: readonly HeaderBinding[] = Object.freeze([
  { claim: 'gitlab_realm', header: HEADER.REALM },
  { claim: 'gitlab_instance_id', header: HEADER.INSTANCE_ID },
  { claim: 'sub', header: HEADER.INSTANCE_ID },
] as const);
export const USER_TOKEN_BINDINGS: readonly HeaderBinding[] = Object.freeze([
  { claim: 'gitlab_realm', header: HEADER.REALM },
  { claim: 'gitlab_instance_id', header: HEADER.INSTANCE_ID },
  { claim: 'sub', header: HEADER.GLOBAL_USER_ID },
] as const);

/** The bindings that apply to a token of this issuer (`iss` claim). */
export function headerBindingsFor(issuer: unknown): readonly HeaderBinding[] {
  return issuer === GATEWAY_SELF_ISSUER ? USER_TOKEN_BINDINGS : INSTANCE_TOKEN_BINDINGS;
}

/**
 * Whether a claim value binds its header. As in `_validate_headers` (`if claim_val and ...`),
 * an absent or empty claim binds nothing; any other value, strings or not, must equal the
 * header's value exactly (so a non-string claim can never be matched).
 */
export function claimBinds(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '' && value !== false && value !== 0;
}

/**
 * The bound headers a client sends for a token, derived from its claims (the holder of a JWT
 * can read them). Only string claims produce a header; two claims bound to the same header
 * with different values (an issuer that mints `sub` and `gitlab_instance_id` apart) produce
 * the first, and the gateway refuses the token, as it should.
 */
export function boundHeaderValues(claims: Readonly<Record<string, unknown>>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const { claim, header } of headerBindingsFor(claims.iss)) {
    const value = claims[claim];
    if (typeof value === 'string' && claimBinds(value) && headers[header] === undefined) headers[header] = value;
  }
  return headers;
}

/** 401 `error` values of the AI gateway (ai_gateway MiddlewareAuthentication). */
export const GATEWAY_AUTH_ERROR = {
  NO_HEADER: 'No authorization header presented',
  INVALID_HEADER: 'Invalid authorization header',
  INVALID_TYPE: 'Invalid authentication token type - only OIDC is supported',
  FORBIDDEN: 'Forbidden by auth provider',
} as const;

export function headerMismatchError(header: string): string {
  return `Header mismatch '${header}'`;
}

/** 403 `detail` of the gateway when the token lacks the endpoint's unit primitive. */
export const GATEWAY_CODE_COMPLETIONS_FORBIDDEN = 'Unauthorized to access code completions';

/** GitLab REST error bodies (Grape). */
export const GITLAB_ERROR = {
  UNAUTHORIZED: { message: '401 Unauthorized' },
  NOT_FOUND: { message: '404 Not Found' },
  FORBIDDEN: { message: '403 Forbidden' },
} as const;

export const INSUFFICIENT_SCOPE_DESCRIPTION =
  'The request requires higher privileges than provided by the access token.';

export function insufficientScopeError(acceptedScopes: readonly string[]) {
  return {
    error: 'insufficient_scope',
    error_description: INSUFFICIENT_SCOPE_DESCRIPTION,
    scope: acceptedScopes.join(' '),
  } as const;
}

/** Scopes that grant POST /api/v4/code_suggestions/tokens (`allow_access_with_scope :ai_features` + api). */
export const CODE_SUGGESTIONS_TOKEN_SCOPES: readonly PatScope[] = ['ai_features', 'api'];

// --- Seed 000 option 1 (opaque OAuth access tokens at the AI gateway); added for issue 8 ---

/**
 * The unit primitives an OAuth access token's scopes grant, and which scopes grant each: the
 * scopes GitLab lets mint an AI access token for the same user (POST
 * /api/v4/code_suggestions/tokens: `allow_access_with_scope :ai_features`, and `api`, which
 * every API route accepts). The Web IDE's own OAuth application is scoped `api`
 * (WebIde::DefaultOauthApplication default_settings, gitlabhq lib/web_ide/default_oauth_application.rb).
 */
export const OAUTH_SCOPES_GRANTING: Readonly<Record<string, readonly string[]>> = Object.freeze({
  [UNIT_PRIMITIVE.CODE_SUGGESTIONS]: CODE_SUGGESTIONS_TOKEN_SCOPES,
});

/** The unit primitives granted by a set of OAuth scopes (OAUTH_SCOPES_GRANTING), in the table's order. */
export function unitPrimitivesForOAuthScopes(scopes: readonly string[]): string[] {
  return Object.keys(OAUTH_SCOPES_GRANTING).filter((primitive) => OAUTH_SCOPES_GRANTING[primitive]!.some((scope) => scopes.includes(scope)));
}

/**
 * 503 `detail` of the gateway when an OAuth access token cannot be verified now (GitLab's
 * token endpoint unreachable, failing or rate-limited, or the gateway's own budget of
 * back-channel calls spent); sent with Retry-After. Never a 401: the token may be good.
 */
export const GATEWAY_TOKEN_VERIFICATION_UNAVAILABLE = 'Token verification is temporarily unavailable';

// --- end of the seed 000 option 1 block ---

/**
 * API::APIGuard answers a revoked or expired token with rack-oauth2's Bearer::Unauthorized:
 * 401, `{"error":"invalid_token","error_description":...}` and a WWW-Authenticate challenge
 * (RFC 6750 §3). An unknown token gets the plain `{"message":"401 Unauthorized"}`.
 */
export const GITLAB_INVALID_TOKEN_DESCRIPTION = {
  REVOKED: 'Token was revoked. You have to re-authorize from the user.',
  EXPIRED: 'Token is expired. You can either do re-authorization or token refresh.',
} as const;

export const GITLAB_BEARER_REALM = 'Protected by OAuth 2.0';

export function gitlabInvalidTokenError(description: string) {
  return {
    status: 401,
    body: { error: 'invalid_token', error_description: description },
    wwwAuthenticate: `Bearer realm="${GITLAB_BEARER_REALM}", error="invalid_token", error_description="${description}"`,
  } as const;
}

/** AI access token lifetimes (Gitlab::Ai::AccessToken). */
export const AI_TOKEN = {
  EXPIRES_IN_SECONDS: 3600,
  NOT_BEFORE_SKEW_SECONDS: 5,
  ALGORITHM: 'RS256',
  TYP: 'JWT',
} as const;

/**
 * The generations of GitLab's AI access token, selectable per issuer (`--ai-token-shape`):
 * - `seed-000`: Gitlab::CodeSuggestions::AccessToken (seeds 000, 001): header {typ, alg}, claims
 *   jti, aud gitlab-code-suggestions, iss, iat, nbf, exp; nothing else;
 * - `seed-002`: Gitlab::Ai::AccessToken (seed 002): header {typ, alg}; aud gitlab-ai-gateway and,
 *   beside the registered claims, third_party_ai_features_enabled, gitlab_realm, scopes; no sub;
 * - `cloud-connector`: Gitlab::CloudConnector::JsonWebToken / SelfIssuedToken (today's instance
 *   token): header {typ, kid, alg}; aud gitlab-ai-gateway, sub = the instance UUID, gitlab_realm,
 *   scopes. The default.
 * None of GitLab's token classes sets `gitlab_instance_id` (the gateway's own user tokens do).
 */
export const AI_TOKEN_SHAPES = ['seed-000', 'seed-002', 'cloud-connector'] as const;
export type AiTokenShape = (typeof AI_TOKEN_SHAPES)[number];
export const DEFAULT_AI_TOKEN_SHAPE: AiTokenShape = 'cloud-connector';

export const AI_TOKEN_SHAPE_INFO: Readonly<Record<AiTokenShape, { audience: string; claims: readonly string[]; kid: boolean; source: string }>> = {
  'seed-000': {
    audience: 'gitlab-code-suggestions',
    claims: ['jti', 'aud', 'iss', 'iat', 'nbf', 'exp'],
    kid: false,
    source: 'ee/lib/gitlab/code_suggestions/access_token.rb L6-36',
  },
  'seed-002': {
    audience: 'gitlab-ai-gateway',
    claims: ['jti', 'aud', 'iss', 'iat', 'nbf', 'exp', 'third_party_ai_features_enabled', 'gitlab_realm', 'scopes'],
    kid: false,
    source: 'ee/lib/gitlab/ai/access_token.rb L6-53',
  },
  'cloud-connector': {
    audience: 'gitlab-ai-gateway',
    claims: ['jti', 'aud', 'sub', 'iss', 'iat', 'nbf', 'exp', 'gitlab_realm', 'scopes'],
    kid: true,
    source: 'ee/lib/gitlab/cloud_connector/json_web_token.rb L30-52; doc/development/cloud_connector/architecture.md L150-162',
  },
};

/**
 * The claims a seed-era legacy token (Gitlab::CodeSuggestions::AccessToken) carries and nothing
 * more. Only a token of exactly this shape is read as granting code_suggestions without a
 * `scopes` claim during the compatibility window: a token the same issuer signs for another
 * purpose (a CI job's ID token, whose `aud` its author chooses) has other claims and grants
 * nothing (RFC 8725 §3.12).
 */
export const LEGACY_TOKEN_CLAIMS: readonly string[] = AI_TOKEN_SHAPE_INFO['seed-000'].claims;

export function hasLegacyTokenShape(claims: Readonly<Record<string, unknown>>): boolean {
  for (const name in claims) if (!LEGACY_TOKEN_CLAIMS.includes(name)) return false;
  return true;
}

/** Cache-Control of GitLab's JWKS: `expires_in 24.hours, public: true, must_revalidate: true, 'no-transform': true`. */
export const JWKS_CACHE_CONTROL = 'max-age=86400, public, must-revalidate, no-transform';
export const JWKS_MAX_AGE_SECONDS = 86400;

/** Feature flags of the emulated GitLab. */
export const FEATURE_FLAG = {
  CODE_SUGGESTIONS_TOKENS_API: 'code_suggestions_tokens_api',
  INSTANCE_ADMIN_ENABLED: 'code_suggestions_for_instance_admin_enabled',
  /**
   * GraphQL authenticates with access tokens only, admitting `ai_features` tokens (seed 004;
   * GraphqlController `authenticate_graphql`). Off: any API credential, `api`/`read_api` only.
   */
  GRAPHQL_MINIMAL_AUTH_METHODS: 'graphql_minimal_auth_methods',
} as const;

/** HTTP paths of the contracts. */
export const PATH = {
  GITLAB_HEALTH: '/-/health',
  GITLAB_SIGN_IN: '/users/sign_in',
  GITLAB_SIGN_OUT: '/users/sign_out',
  GITLAB_CODE_SUGGESTIONS_TOKENS: '/api/v4/code_suggestions/tokens',
  GITLAB_USER: '/api/v4/user',
  GITLAB_PAT_SELF: '/api/v4/personal_access_tokens/self',
  GITLAB_GROUPS: '/api/v4/groups',
  GITLAB_APPLICATION_SETTINGS: '/api/v4/application/settings',
  /** GitLab's GraphQL API (GraphqlController#execute; GET for queries, POST for anything). */
  GITLAB_GRAPHQL: '/api/graphql',
  OPENID_CONFIGURATION: '/.well-known/openid-configuration',
  JWKS: '/oauth/discovery/keys',
  GATEWAY_COMPLETIONS: '/v2/code/completions',
  GATEWAY_COMPLETIONS_ALIAS: '/v2/completions',
  /** Duo Chat at the gateway (ai_gateway api/v1/chat/agent.py L60-67, the `agent` chat invokable under /v1/chat). */
  GATEWAY_CHAT_AGENT: '/v1/chat/agent',
  GATEWAY_HEALTHZ: '/monitoring/healthz',
  GATEWAY_READY: '/monitoring/ready',
  MODEL_COMPLETIONS: '/v1/completions',
  /** The fake model's streamed chat answer (the harness's own model API). */
  MODEL_CHAT_COMPLETIONS: '/v1/chat/completions',
  MODEL_HEALTHZ: '/healthz',
  /** Harness-only control API prefix of every emulator (off unless HARNESS_CONTROL_TOKEN is set). */
  HARNESS_CONTROL_PREFIX: '/-/harness',
} as const;

/** GitLab's browser session cookie. */
export const SESSION_COOKIE = '_gitlab_session';

/** The roles of the system under test. */
export const ROLES = ['gitlab-saas', 'gitlab-sm', 'ai-gateway', 'fake-model'] as const;
export type Role = (typeof ROLES)[number];

/** Default loopback ports of the embedded stack (DESIGN.md). */
export const DEFAULT_PORT: Record<Role, number> = {
  'gitlab-sm': 3000,
  'gitlab-saas': 3001,
  'ai-gateway': 5052,
  'fake-model': 5053,
};

/**
 * User-Agent values. The harness tells its own requests from a role's outbound calls by
 * them (the sequence diagram of a report draws both), and SaaS recognises a request relayed
 * from self-managed by the `gitlab-workhorse` prefix (seed 001, API::CodeSuggestions#proxied?).
 */
export const USER_AGENT = {
  HARNESS: 'ai-auth-harness',
  GATEWAY: 'ai-auth-harness-ai-gateway',
  RELAY_PREFIX: 'gitlab-workhorse',
} as const;

// --- Duo Chat (seed 004, issue 9): GitLab -> AI gateway -> model ---

/**
 * The unit primitives of GitLab's instance token for Duo Chat: the `duo_chat` service's
 * `duo_pro` bundle (GitLab ee/config/cloud_connector/access_data.yml, services.duo_chat;
 * pavankalisetti009/gitlab @037b30a2), which `scopes_for(resource)` puts in `scopes`
 * (ee/lib/cloud_connector/self_signed/available_service_data.rb).
 */
export const DUO_CHAT_TOKEN_SCOPES: readonly string[] = Object.freeze([
  UNIT_PRIMITIVE.DUO_CHAT,
  'documentation_search',
  'include_file_context',
  'include_snippet_context',
  'explain_code',
  'refactor_code',
  'fix_code',
  'write_tests',
]);

/**
 * The constant members of the body GitLab posts to POST /v1/chat/agent
 * (Gitlab::Llm::AiGateway::Client#request_body, ee/lib/gitlab/llm/ai_gateway/client.rb,
 * ashierj/superdemo @04c4cec1): one prompt component of type `prompt` from source `GitLab EE`.
 */
export const CHAT_PROMPT_COMPONENT = { TYPE: 'prompt', SOURCE: 'GitLab EE' } as const;

/**
 * The 403 `detail` for a token without the chat's unit primitive: ai_gateway
 * api/v1/chat/auth.py L38-41 `f"Unauthorized to access {unit_primitive}"`.
 */
export const GATEWAY_CHAT_FORBIDDEN = `Unauthorized to access ${UNIT_PRIMITIVE.DUO_CHAT}`;

/** Media types of the chat streams: the gateway's (api/v1/chat/agent.py L175) and the fake model's (NDJSON, one event a line). */
export const CHAT_STREAM_MEDIA_TYPE = { GATEWAY: 'text/event-stream', MODEL: 'application/x-ndjson' } as const;

// --- end of the Duo Chat block ---
