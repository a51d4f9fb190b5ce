/**
 * Typed errors of the OAuth 2.1 reference client (seed 003: "Typed OAuth error classes
 * (InvalidGrantError, InvalidClientError, etc.)"). One class per OAuth error code a server may
 * answer (RFC 6749 §4.1.2.1 and §5.2, RFC 7591 §3.2.2), each keeping the server's
 * `error_description` and the HTTP status; plus the client's own refusals. No error carries a
 * token or a client secret: messages are built from error codes, descriptions and URLs only.
 */
import { AuthorizationResponseError, ResponseBodyError, WWWAuthenticateChallengeError } from 'oauth4webapi';

/** An OAuth error a server answered: `error`, its `error_description`, and the HTTP status (undefined for an authorization response, RFC 6749 §4.1.2.1, which has none). */
export class OAuthError extends Error {
  constructor(
    readonly error: string,
    readonly errorDescription: string | undefined,
    readonly status: number | undefined,
  ) {
    super(`${error}${errorDescription ? `: ${errorDescription}` : ''}${status !== undefined ? ` (HTTP ${status})` : ''}`);
    this.name = new.target.name;
  }
}

/** RFC 6749 §5.2 / §4.1.2.1: missing or malformed parameter. */
export class InvalidRequestError extends OAuthError {}
/** RFC 6749 §5.2: client authentication failed (unknown, deleted or badly authenticated client). */
export class InvalidClientError extends OAuthError {}
/** RFC 6749 §5.2: the code or refresh token is invalid, expired, revoked or reused. */
export class InvalidGrantError extends OAuthError {}
/** RFC 6749 §5.2 / §4.1.2.1: the client may not use this grant or response type. */
export class UnauthorizedClientError extends OAuthError {}
/** RFC 6749 §5.2. */
export class UnsupportedGrantTypeError extends OAuthError {}
/** RFC 6749 §4.1.2.1. */
export class UnsupportedResponseTypeError extends OAuthError {}
/** RFC 6749 §5.2 / §4.1.2.1. */
export class InvalidScopeError extends OAuthError {}
/** RFC 6749 §4.1.2.1: the user (or the server) denied the authorization. */
export class AccessDeniedError extends OAuthError {}
/** RFC 6749 §4.1.2.1. */
export class ServerError extends OAuthError {}
/** RFC 6749 §4.1.2.1. */
export class TemporarilyUnavailableError extends OAuthError {}
/** RFC 7591 §3.2.2: a redirect URI the server refuses. */
export class InvalidRedirectUriError extends OAuthError {}
/** RFC 7591 §3.2.2: client metadata the server refuses. */
export class InvalidClientMetadataError extends OAuthError {}
/** RFC 7009 §2.2.1: the server cannot revoke this token type. */
export class UnsupportedTokenTypeError extends OAuthError {}
/** RFC 6750 §3.1: the access token is invalid (a resource server's or token info's answer). */
export class InvalidTokenError extends OAuthError {}

const BY_CODE: Record<string, new (error: string, description: string | undefined, status: number | undefined) => OAuthError> = {
  invalid_request: InvalidRequestError,
  invalid_client: InvalidClientError,
  invalid_grant: InvalidGrantError,
  unauthorized_client: UnauthorizedClientError,
  unsupported_grant_type: UnsupportedGrantTypeError,
  unsupported_response_type: UnsupportedResponseTypeError,
  invalid_scope: InvalidScopeError,
  access_denied: AccessDeniedError,
  server_error: ServerError,
  temporarily_unavailable: TemporarilyUnavailableError,
  invalid_redirect_uri: InvalidRedirectUriError,
  invalid_client_metadata: InvalidClientMetadataError,
  unsupported_token_type: UnsupportedTokenTypeError,
  invalid_token: InvalidTokenError,
};

/** The typed error for `error` (an OAuthError for a code outside the table: extensions keep their code). */
export function oauthErrorFor(error: string, description: string | undefined, status: number | undefined): OAuthError {
  const Type = BY_CODE[error] ?? OAuthError;
  return new Type(error, description, status);
}

/**
 * The typed error for an oauth4webapi failure that carries an OAuth error: an error body
 * (ResponseBodyError), an error authorization response (AuthorizationResponseError), or a
 * WWW-Authenticate challenge on a 401 (WWWAuthenticateChallengeError; the JSON body, when there
 * is one, gives the description). Anything else comes back unchanged.
 */
export async function toOAuthError(e: unknown): Promise<unknown> {
  if (e instanceof ResponseBodyError) return oauthErrorFor(e.error, e.error_description, e.status);
  if (e instanceof AuthorizationResponseError) return oauthErrorFor(e.error, e.error_description, undefined);
  if (e instanceof WWWAuthenticateChallengeError) {
    const body = (await e.response.json().catch(() => undefined)) as { error?: unknown; error_description?: unknown } | undefined;
    const challenge = e.cause[0]?.parameters;
    const error = typeof body?.error === 'string' ? body.error : (challenge?.error ?? 'invalid_client');
    const description = typeof body?.error_description === 'string' ? body.error_description : challenge?.error_description;
    return oauthErrorFor(error, description, e.status);
  }
  return e;
}

/** The client refuses the server's metadata (RFC 8414 §2 as OAuth 2.1 needs it); `missing` names each unmet requirement. */
export class MetadataRefused extends Error {
  constructor(
    readonly issuer: string,
    readonly missing: readonly string[],
  ) {
    super(`the authorization server ${issuer} does not meet OAuth 2.1 as this client needs it: ${missing.join('; ')}`);
    this.name = 'MetadataRefused';
  }
}

/** The metadata's `issuer`, or an authorization response's `iss` (RFC 9207 §2.4), is not the issuer the client expects (RFC 8414 §3.3). */
export class IssuerMismatch extends Error {
  constructor(
    readonly expected: string,
    readonly actual: string | undefined,
    where: string,
  ) {
    super(`${where}: expected issuer ${expected}, got ${actual === undefined ? 'none' : actual}`);
    this.name = 'IssuerMismatch';
  }
}

/** The callback's `state` belongs to no pending sign-in, or to another one than the sign-in it reached (RFC 6749 §10.12, RFC 9700 §4.7). */
export class StateMismatch extends Error {
  constructor(reason: string) {
    super(`authorization response refused: ${reason}`);
    this.name = 'StateMismatch';
  }
}

/**
 * The session has ended and only a new sign-in can start another (seed 003: "Handle OAuth errors
 * (invalid_grant, invalid_client) by prompting for re-authentication"). `cause` is the server's
 * typed error when there was one; undefined when the client was never signed in.
 */
export class ReauthenticationRequired extends Error {
  constructor(
    readonly issuer: string,
    reason: string,
    override readonly cause?: OAuthError,
  ) {
    super(`sign in to ${issuer} again: ${reason}`);
    this.name = 'ReauthenticationRequired';
  }
}
