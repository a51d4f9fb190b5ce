const SAFE_METHODS = new Set(['GET', 'HEAD']);

/** GET and HEAD: the methods that need no CSRF token and that `read_api` may use. */
export function isSafeMethod(method: string): boolean {
  return SAFE_METHODS.has(method.toUpperCase());
}

/**
 * Scopes an access token may carry to reach an endpoint, as API::APIGuard assembles them
 * (`scopes_registered_for_endpoint`): the endpoint's own (`allow_access_with_scope`), then
 * API::API's `api` (always) and `read_api` (GET and HEAD only). The order is the order of the
 * 403's `scope` field ("ai_features api").
 */
export function allowedScopes(method: string, endpointScopes: readonly string[]): string[] {
  const scopes = [...endpointScopes, 'api', ...(isSafeMethod(method) ? ['read_api'] : [])];
  return [...new Set(scopes)];
}

/**
 * Whether a token's scopes reach an endpoint: any one in common (AccessTokenValidationService
 * `include_any_scope?`), the same test for personal access tokens and OAuth access tokens.
 */
export function grantsAnyOf(granted: readonly string[], allowed: readonly string[]): boolean {
  return granted.some((s) => allowed.includes(s));
}
