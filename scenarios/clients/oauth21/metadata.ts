/**
 * Discovery and validation of authorization server metadata (RFC 8414) as the OAuth 2.1
 * reference client needs it (seed 003: "OAuthMetadataClient to discover and validate OAuth
 * server metadata from the well-known endpoint, ensuring server meets OAuth 2.1
 * requirements"). Built on oauth4webapi's discoveryRequest/processDiscoveryResponse, which
 * fetch `/.well-known/oauth-authorization-server` and refuse an `issuer` other than the one
 * asked for (RFC 8414 §3.3).
 */
import {
  type AuthorizationServer,
  JSON_ATTRIBUTE_COMPARISON,
  OperationProcessingError,
  allowInsecureRequests,
  customFetch,
  discoveryRequest,
  processDiscoveryResponse,
} from 'oauth4webapi';
import { isLoopbackHost } from '#contracts';
import { IssuerMismatch, MetadataRefused } from './errors.js';

/** The token endpoint authentication methods this client can use (RFC 7591 §2): none (public), and the two secrets when the server issues one. */
export const CLIENT_AUTH_METHODS = ['none', 'client_secret_basic', 'client_secret_post'] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

/** Metadata that passed validateMetadata: the endpoints the flow needs are present. */
export interface ValidatedMetadata extends AuthorizationServer {
  authorization_endpoint: string;
  token_endpoint: string;
}

/** The hosts whose plain http is acceptable: loopback only (RFC 8252 §8.3 lets native apps use loopback; nothing else may be cleartext, RFC 9700 §2.6). */
export function isLoopback(url: URL): boolean {
  return isLoopbackHost(url.hostname);
}

/**
 * oauth4webapi's request options for `issuer`. oauth4webapi refuses http:// unless told
 * otherwise; we tell it only for a loopback issuer (the harness's emulators in tests), never for
 * any other host.
 */
export function requestOptions(issuer: URL, fetchImpl?: typeof fetch): { [allowInsecureRequests]?: boolean; [customFetch]?: typeof fetch } {
  return {
    ...(issuer.protocol === 'http:' && isLoopback(issuer) ? { [allowInsecureRequests]: true } : {}),
    ...(fetchImpl ? { [customFetch]: fetchImpl } : {}),
  };
}

/**
 * GETs `<issuer>/.well-known/oauth-authorization-server` (RFC 8414 §3.1, path inserted after the
 * host) and validates it.
 * @throws IssuerMismatch when the document's `issuer` is not `issuer` (RFC 8414 §3.3).
 * @throws MetadataRefused when it does not meet validateMetadata.
 * @throws oauth4webapi's OperationProcessingError for a non-200 or non-JSON answer.
 */
export async function discover(issuer: string, fetchImpl?: typeof fetch): Promise<ValidatedMetadata> {
  const url = new URL(issuer);
  const response = await discoveryRequest(url, { algorithm: 'oauth2', ...requestOptions(url, fetchImpl) });
  let as: AuthorizationServer;
  try {
    as = await processDiscoveryResponse(url, response);
  } catch (e) {
    if (e instanceof OperationProcessingError && e.code === JSON_ATTRIBUTE_COMPARISON) {
      const body = (e.cause as { body?: { issuer?: unknown } } | undefined)?.body;
      throw new IssuerMismatch(url.href, typeof body?.issuer === 'string' ? body.issuer : undefined, 'authorization server metadata (RFC 8414 §3.3)');
    }
    throw e;
  }
  return validateMetadata(as);
}

/**
 * Checks `as` against what this client needs of OAuth 2.1 and returns it typed; collects every
 * unmet requirement before refusing:
 * - `authorization_endpoint` and `token_endpoint` present (RFC 8414 §2);
 * - `response_types_supported` includes `code` (RFC 8414 §2, REQUIRED member);
 * - `grant_types_supported` includes `authorization_code` and `refresh_token` (RFC 8414 §2: when
 *   omitted it means `authorization_code` and `implicit`, so no refresh);
 * - `code_challenge_methods_supported` includes `S256` (RFC 7636 §4.2; RFC 8414 §2: omitted means
 *   no PKCE; `plain` alone is refused, RFC 9700 §2.1.1);
 * - `token_endpoint_auth_methods_supported` shares a method with `usable` (RFC 8414 §2: omitted
 *   means `client_secret_basic`).
 * @param usable the methods the client can use (default: all of CLIENT_AUTH_METHODS).
 * @throws MetadataRefused naming each unmet requirement.
 */
export function validateMetadata(as: AuthorizationServer, usable: readonly ClientAuthMethod[] = CLIENT_AUTH_METHODS): ValidatedMetadata {
  const missing: string[] = [];
  if (typeof as.authorization_endpoint !== 'string') missing.push('authorization_endpoint is missing');
  if (typeof as.token_endpoint !== 'string') missing.push('token_endpoint is missing');
  if (!listOf(as.response_types_supported).includes('code')) missing.push('response_types_supported lacks code');
  const grants = as.grant_types_supported === undefined ? ['authorization_code', 'implicit'] : listOf(as.grant_types_supported);
  for (const grant of ['authorization_code', 'refresh_token']) if (!grants.includes(grant)) missing.push(`grant_types_supported lacks ${grant}`);
  const methods = listOf(as.code_challenge_methods_supported);
  if (!methods.includes('S256')) {
    missing.push(methods.includes('plain') ? 'code_challenge_methods_supported offers only plain, not S256' : 'code_challenge_methods_supported lacks S256');
  }
  if (supportedAuthMethods(as, usable).length === 0) {
    const offered = as.token_endpoint_auth_methods_supported === undefined ? 'client_secret_basic (by default)' : listOf(as.token_endpoint_auth_methods_supported).join(', ') || 'nothing';
    missing.push(`token_endpoint_auth_methods_supported offers ${offered}, none of ${usable.join(', ')}`);
  }
  if (missing.length > 0) throw new MetadataRefused(as.issuer, missing);
  return as as ValidatedMetadata;
}

/** The methods of `usable` the server supports, in the client's order of preference. */
export function supportedAuthMethods(as: AuthorizationServer, usable: readonly ClientAuthMethod[] = CLIENT_AUTH_METHODS): ClientAuthMethod[] {
  const offered = as.token_endpoint_auth_methods_supported === undefined ? ['client_secret_basic'] : listOf(as.token_endpoint_auth_methods_supported);
  return usable.filter((m) => offered.includes(m));
}

function listOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
