/**
 * The harness control API as one contract: its routes below PATH.HARNESS_CONTROL_PREFIX and the
 * TypeScript shape of every body, one interface per definition of
 * contracts/schemas/harness-control.schema.json (named in each docstring). The apps declare their
 * control routes with these route strings and answer with these types, so a body that drifts
 * from the contract fails to compile; the harness calls them through control-client.ts.
 */
import type { AiTokenShape } from './constants.js';
import { PATH } from './constants.js';
import type { LoggedRequest } from './types.js';

/**
 * Route of each operation, relative to PATH.HARNESS_CONTROL_PREFIX, in Nest's `:param` syntax.
 * Every app serves REQUESTS and RESET; the others belong to one app each (see the OpenAPI
 * document of that app).
 */
export const CONTROL_ROUTE = {
  /** Every app: GET the requests it answered (`requestLog`). */
  REQUESTS: 'requests',
  /** Every app: POST puts what the control API changed back to start (204). */
  RESET: 'reset',
  /** gitlab: POST mints a token (`mintTokenRequest` -> `mintedToken`). */
  TOKENS: 'tokens',
  /** gitlab: GET lists, POST adds a signing key. */
  KEYS: 'keys',
  /** gitlab: DELETE unpublishes a retired key. */
  KEY: 'keys/:kid',
  /** gitlab: POST makes a published key the active one. */
  KEY_ACTIVATE: 'keys/:kid/activate',
  /** gitlab: GET and PUT a feature flag. */
  FEATURE_FLAG: 'feature-flags/:name',
  /** gitlab: GET and PUT the AI access token generation. */
  AI_TOKEN: 'ai-token',
  /** gitlab: PUT the application settings of seed 001. */
  SETTINGS: 'settings',
  /** gitlab: GET and PUT code suggestions of a group. */
  GROUP: 'groups/:path',
  /** gitlab (self-managed): GET and PUT where the relay goes. */
  RELAY: 'relay',
  /** gitlab: GET and PUT whether discovery and the JWKS answer. */
  OIDC: 'oidc',
  /** gitlab: GET and PUT the OAuth server's settings (registration mode). */
  OAUTH: 'oauth',
  /** ai-gateway: GET the key cache per issuer. */
  JWKS_CACHE: 'jwks-cache',
  /** ai-gateway: POST forgets every key (cold cache, 204). */
  JWKS_CACHE_CLEAR: 'jwks-cache/clear',
  /** ai-gateway: POST forgets every cached OAuth token answer (seed 000 option 1; 204, also when option 1 is off). */
  OAUTH_CACHE_CLEAR: 'oauth-cache/clear',
  /** ai-gateway: GET and PUT the verification settings. */
  AUTH: 'auth',
  /** fake-model: GET and PUT the injected faults. */
  FAULTS: 'faults',
} as const;

export type ControlRoute = (typeof CONTROL_ROUTE)[keyof typeof CONTROL_ROUTE];

/** The path of a route with its `:params` filled in (percent-encoded), e.g. `/-/harness/keys/abc/activate`. */
export function controlPath(route: ControlRoute, params: Readonly<Record<string, string>> = {}): string {
  const filled = route.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`control route ${route} needs :${name}`);
    return encodeURIComponent(value);
  });
  return `${PATH.HARNESS_CONTROL_PREFIX}/${filled}`;
}

/** `requestLog`: GET /-/harness/requests answers `{requests}`. */
export interface RequestLogAnswer {
  requests: LoggedRequest[];
}

/** The query of GET /-/harness/requests: entries at or after `since` (RFC 3339), on paths starting with `path`. */
export interface RequestLogQuery {
  since?: string;
  path?: string;
}

/** `mintTokenRequest`. */
export interface MintTokenRequest {
  username?: string;
  /** Replaced or added claims; null removes one. */
  claims?: Record<string, unknown>;
  /** Replaced or added JOSE header parameters; null removes one (alg stays RS256). */
  header?: Record<string, unknown>;
  /** Sign with this published key instead of the active one. */
  kid?: string;
}

/** `mintedToken`. */
export interface MintedToken {
  token: string;
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

/** One entry of `signingKeyList`. */
export interface SigningKeyInfo {
  kid: string;
  active: boolean;
  /** RFC 3339. */
  createdAt: string;
}

/** `signingKeyList`. */
export interface SigningKeyList {
  active: string;
  keys: SigningKeyInfo[];
}

/** `addSigningKeyRequest`. */
export interface AddSigningKeyRequest {
  /** Default true. */
  activate?: boolean;
}

/** `kid`. */
export interface KidAnswer {
  kid: string;
}

/** `featureFlag`. */
export interface FeatureFlagState {
  name: string;
  enabled: boolean;
  actors: string[];
}

/** `featureFlagUpdate`. */
export interface FeatureFlagUpdate {
  enabled: boolean;
  actors?: string[];
}

/** `aiTokenSettings`. */
export interface AiTokenSettingsState {
  shape: AiTokenShape;
  /** `aud` of minted tokens, fixed by the shape. */
  audience: string;
  includeKid: boolean;
}

/** `aiTokenSettingsUpdate`. */
export interface AiTokenSettingsUpdate {
  shape?: AiTokenShape;
  includeKid?: boolean | null;
}

/** ApplicationSettings of gitlab.yaml: what PUT /-/harness/settings answers (the token itself never). */
export interface ApplicationSettingsView {
  code_suggestions_enabled: boolean;
  ai_access_token_set: boolean;
}

/** ApplicationSettingsUpdate of gitlab.yaml: the body of PUT /-/harness/settings; null or '' clears the token. */
export interface ApplicationSettingsUpdate {
  code_suggestions_enabled?: boolean;
  ai_access_token?: string | null;
}

/** `groupCodeSuggestions`. */
export interface GroupCodeSuggestions {
  path: string;
  code_suggestions_enabled: boolean;
}

/** `groupUpdate`. */
export interface GroupUpdate {
  code_suggestions_enabled: boolean;
}

/** `relayTarget`. */
export interface RelayTarget {
  saas_url: string;
  timeout_ms: number;
}

/** `relayTargetUpdate`. */
export type RelayTargetUpdate = Partial<RelayTarget>;

/** `oidcAvailability`. */
export interface OidcAvailabilityState {
  available: boolean;
}

/** `oauthServer`: how the gitlab app's POST /oauth/register answers (OAUTH_REGISTRATION_MODE until changed; reset restores it). */
export interface OAuthServerState {
  registration_mode: 'rfc7591' | 'gitlab';
}

/** `issuerCache`. */
export interface IssuerCacheState {
  issuer: string;
  status: 'ok' | 'stale' | 'unavailable';
  discoveredIssuer: string | null;
  jwksUri: string | null;
  keys: Array<string | null>;
  fetchedAt: string | null;
  fetches: number;
  lastError: string | null;
}

/** `jwksCache`. */
export interface JwksCacheState {
  issuers: IssuerCacheState[];
}

export type LegacyAudienceWindow = 'open' | 'closed';

/** `authSettings`. */
export interface GatewayAuthSettings {
  audience: string;
  legacyAudience: string;
  legacyAudienceWindow: LegacyAudienceWindow;
  acceptedAudiences: readonly string[];
  trustedIssuers: readonly string[];
  algorithms: readonly string[];
  clockSkewSeconds: number;
}

/** `authSettingsUpdate`. */
export interface GatewayAuthSettingsUpdate {
  audience?: string;
  legacyAudienceWindow?: LegacyAudienceWindow;
}

/** `faults`. */
export interface ModelFaults {
  latencyMs: number;
  failNext: number;
  failStatus: number;
  hangNext: number;
}

/** `faultsUpdate`. */
export type ModelFaultsUpdate = Partial<ModelFaults>;
