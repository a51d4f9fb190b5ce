import { GITLAB_ERROR, GITLAB_INVALID_TOKEN_DESCRIPTION, gitlabInvalidTokenError, insufficientScopeError } from '#contracts';
import { ContractHttpException } from '#common';

/**
 * API::APIGuard's answers to a request it does not let through, as exceptions the strategies
 * and ApiGuard throw and ContractExceptionFilter sends as worded (lib/api/api_guard.rb,
 * `oauth2_bearer_token_error_handler`).
 */

/** 401 `{"message":"401 Unauthorized"}`: no usable credential, or a token the instance does not know. */
export function unauthorized(): ContractHttpException {
  return new ContractHttpException(GITLAB_ERROR.UNAUTHORIZED, 401);
}

/** How an access token is no longer valid, in AccessTokenValidationService's order (expired first). */
export type InvalidTokenState = 'expired' | 'revoked';

/**
 * 401 `invalid_token` with rack-oauth2's `WWW-Authenticate: Bearer` challenge (RFC 6750 §3.1),
 * for personal access tokens and OAuth access tokens alike.
 */
export function invalidToken(state: InvalidTokenState): ContractHttpException {
  const error = gitlabInvalidTokenError(
    state === 'expired' ? GITLAB_INVALID_TOKEN_DESCRIPTION.EXPIRED : GITLAB_INVALID_TOKEN_DESCRIPTION.REVOKED,
  );
  return new ContractHttpException(error.body, error.status, { 'WWW-Authenticate': error.wwwAuthenticate });
}

/**
 * 403 `insufficient_scope` naming the scopes that would do, space-separated in the order the
 * endpoint allows them; no challenge header (rack-oauth2's Bearer::Forbidden sends none).
 */
export function insufficientScope(allowed: readonly string[]): ContractHttpException {
  return new ContractHttpException(insufficientScopeError(allowed), 403);
}
