/**
 * GitLab's GraphQL API (POST/GET /api/graphql) as clients see it: the messages, scopes and
 * limits of the contract. The SDL is contracts/graphql/gitlab.graphql.
 */

/** Access token scopes GitLab's GraphQL schema declares (Gitlab::Auth, `API_SCOPES` + `AI_FEATURES`). */
export const GRAPHQL_SCOPE = {
  API: 'api',
  READ_API: 'read_api',
  AI_FEATURES: 'ai_features',
  READ_USER: 'read_user',
} as const;
export type GraphqlScope = (typeof GRAPHQL_SCOPE)[keyof typeof GRAPHQL_SCOPE];

/**
 * The GraphQL error of a type, field or mutation the caller may not use: not found and not
 * allowed read the same (lib/gitlab/graphql/authorize/authorize_resource.rb,
 * `RESOURCE_ACCESS_ERROR`).
 */
export const GRAPHQL_RESOURCE_ACCESS_ERROR =
  "The resource that you are attempting to access does not exist or you don't have permission to perform this action";

/**
 * The controller's own error bodies (`render_error`: `{"errors":[{"message": ...}]}`), answered
 * before any GraphQL runs (app/controllers/graphql_controller.rb).
 */
export const GRAPHQL_CONTROLLER_ERROR = {
  /** 401: a token was presented and did not authenticate (`authorize_access_api!`). */
  INVALID_TOKEN: 'Invalid token',
  /** 422: the query text is longer than MAX_QUERY_SIZE (`limit_query_size`). */
  QUERY_TOO_LARGE: 'Query too large',
  /** 422: a mutation sent with GET or HEAD (`disallow_mutations_for_get`). */
  MUTATIONS_FORBIDDEN_FOR_GET: 'Mutations are forbidden in GET requests',
} as const;

/**
 * Query limits (app/graphql/gitlab_schema.rb: DEFAULT_/AUTHENTICATED_/ADMIN_MAX_COMPLEXITY,
 * DEFAULT_/AUTHENTICATED_MAX_DEPTH; graphql_controller.rb MAX_QUERY_SIZE in characters).
 */
export const GRAPHQL_LIMITS = {
  MAX_QUERY_SIZE: 10_000,
  DEFAULT_MAX_COMPLEXITY: 200,
  AUTHENTICATED_MAX_COMPLEXITY: 250,
  ADMIN_MAX_COMPLEXITY: 300,
  DEFAULT_MAX_DEPTH: 15,
  AUTHENTICATED_MAX_DEPTH: 20,
} as const;

/** The `aiAction` of an aiCompletionResponse subscription (ee/app/graphql/types/ai/action_enum.rb, `CHAT`). */
export const GRAPHQL_AI_ACTION_CHAT = 'CHAT';
