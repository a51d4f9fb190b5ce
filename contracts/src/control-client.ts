/**
 * The typed client of the harness control API (harness-control.ts): one method per route, over
 * any transport that makes one HTTP call (the runner's recording client, a test's fetch). A
 * method for another app's route is the caller's mistake and gets that app's 404.
 */
import {
  type AddSigningKeyRequest,
  type AiTokenSettingsState,
  type AiTokenSettingsUpdate,
  type ApplicationSettingsUpdate,
  type ApplicationSettingsView,
  CONTROL_ROUTE,
  type ControlRoute,
  controlPath,
  type FeatureFlagState,
  type FeatureFlagUpdate,
  type GatewayAuthSettings,
  type GatewayAuthSettingsUpdate,
  type GroupCodeSuggestions,
  type GroupUpdate,
  type JwksCacheState,
  type KidAnswer,
  type MintedToken,
  type MintTokenRequest,
  type ModelFaults,
  type ModelFaultsUpdate,
  type OidcAvailabilityState,
  type OAuthServerState,
  type RelayTarget,
  type RelayTargetUpdate,
  type RequestLogAnswer,
  type RequestLogQuery,
  type SigningKeyList,
} from './harness-control.js';
import type { LoggedRequest } from './types.js';

export type ControlMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * One call of the control API: `path` includes the prefix (`/-/harness/...`), `body` is sent as
 * JSON when given. Resolves with the parsed answer (undefined for 204) and rejects on any
 * answer outside 2xx.
 */
export interface ControlTransport {
  call<T = unknown>(method: ControlMethod, path: string, body?: unknown): Promise<T>;
}

/** A control resource read with GET and changed with PUT (which answers the state after it). */
export interface ControlResource<T, C> {
  /** Its path, e.g. `/-/harness/auth` (names the resource in messages). */
  readonly path: string;
  get(): Promise<T>;
  set(change: C): Promise<T>;
}

/** The control API over `call`: subclasses provide the transport (RecordingControlClient), harnessControlClient() wraps one. */
export abstract class HarnessControlClient implements ControlTransport {
  abstract call<T = unknown>(method: ControlMethod, path: string, body?: unknown): Promise<T>;

  // Every app.

  /** GET /-/harness/requests: what the app answered, oldest first. */
  async requests(query: RequestLogQuery = {}): Promise<LoggedRequest[]> {
    const params = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined));
    const search = params.size ? `?${params}` : '';
    return (await this.call<RequestLogAnswer>('GET', `${controlPath(CONTROL_ROUTE.REQUESTS)}${search}`)).requests;
  }

  /** POST /-/harness/reset: what the control API changed back to start. */
  async reset(): Promise<void> {
    await this.call('POST', controlPath(CONTROL_ROUTE.RESET));
  }

  // gitlab.

  /** POST /-/harness/tokens: a token signed by a published key, with the changes asked for. */
  mintToken(request: MintTokenRequest = {}): Promise<MintedToken> {
    return this.call<MintedToken>('POST', controlPath(CONTROL_ROUTE.TOKENS), request);
  }

  /** GET /-/harness/keys. */
  signingKeys(): Promise<SigningKeyList> {
    return this.call<SigningKeyList>('GET', controlPath(CONTROL_ROUTE.KEYS));
  }

  /** POST /-/harness/keys: a new key, active unless `activate` is false. */
  addSigningKey(request: AddSigningKeyRequest = {}): Promise<KidAnswer> {
    return this.call<KidAnswer>('POST', controlPath(CONTROL_ROUTE.KEYS), request);
  }

  /** POST /-/harness/keys/{kid}/activate. */
  activateSigningKey(kid: string): Promise<KidAnswer> {
    return this.call<KidAnswer>('POST', controlPath(CONTROL_ROUTE.KEY_ACTIVATE, { kid }));
  }

  /** DELETE /-/harness/keys/{kid} (409 for the active key). */
  async removeSigningKey(kid: string): Promise<void> {
    await this.call('DELETE', controlPath(CONTROL_ROUTE.KEY, { kid }));
  }

  /** /-/harness/feature-flags/{name}. */
  featureFlag(name: string): ControlResource<FeatureFlagState, FeatureFlagUpdate> {
    return this.resource(CONTROL_ROUTE.FEATURE_FLAG, { name });
  }

  /** /-/harness/ai-token: the AI access token generation. */
  get aiToken(): ControlResource<AiTokenSettingsState, AiTokenSettingsUpdate> {
    return this.resource(CONTROL_ROUTE.AI_TOKEN);
  }

  /** PUT /-/harness/settings: the application settings of seed 001, without an admin. */
  updateSettings(change: ApplicationSettingsUpdate): Promise<ApplicationSettingsView> {
    return this.call<ApplicationSettingsView>('PUT', controlPath(CONTROL_ROUTE.SETTINGS), change);
  }

  /** /-/harness/groups/{path}: code suggestions of a group. */
  group(path: string): ControlResource<GroupCodeSuggestions, GroupUpdate> {
    return this.resource(CONTROL_ROUTE.GROUP, { path });
  }

  /** /-/harness/relay: where a self-managed instance relays to (404 on SaaS). */
  get relay(): ControlResource<RelayTarget, RelayTargetUpdate> {
    return this.resource(CONTROL_ROUTE.RELAY);
  }

  /** /-/harness/oidc: whether discovery and the JWKS answer. */
  get oidc(): ControlResource<OidcAvailabilityState, OidcAvailabilityState> {
    return this.resource(CONTROL_ROUTE.OIDC);
  }

  /** /-/harness/oauth: the OAuth server's registration mode. */
  get oauth(): ControlResource<OAuthServerState, OAuthServerState> {
    return this.resource(CONTROL_ROUTE.OAUTH);
  }

  // ai-gateway.

  /** GET /-/harness/jwks-cache. */
  jwksCache(): Promise<JwksCacheState> {
    return this.call<JwksCacheState>('GET', controlPath(CONTROL_ROUTE.JWKS_CACHE));
  }

  /** POST /-/harness/jwks-cache/clear: a cold cache. */
  async clearJwksCache(): Promise<void> {
    await this.call('POST', controlPath(CONTROL_ROUTE.JWKS_CACHE_CLEAR));
  }

  /** POST /-/harness/oauth-cache/clear: the gateway forgets every cached OAuth token answer (seed 000 option 1). */
  async clearOAuthCache(): Promise<void> {
    await this.call('POST', controlPath(CONTROL_ROUTE.OAUTH_CACHE_CLEAR));
  }

  /** /-/harness/auth: the gateway's audience and legacy-audience window. */
  get auth(): ControlResource<GatewayAuthSettings, GatewayAuthSettingsUpdate> {
    return this.resource(CONTROL_ROUTE.AUTH);
  }

  // fake-model.

  /** /-/harness/faults: the model's injected faults (PUT merges). */
  get faults(): ControlResource<ModelFaults, ModelFaultsUpdate> {
    return this.resource(CONTROL_ROUTE.FAULTS);
  }

  private resource<T, C>(route: ControlRoute, params?: Record<string, string>): ControlResource<T, C> {
    const path = controlPath(route, params);
    return { path, get: () => this.call<T>('GET', path), set: (change) => this.call<T>('PUT', path, change) };
  }
}

/** The typed client over a plain transport. */
export function harnessControlClient(transport: ControlTransport): HarnessControlClient {
  return new (class extends HarnessControlClient {
    call<T = unknown>(method: ControlMethod, path: string, body?: unknown): Promise<T> {
      return transport.call<T>(method, path, body);
    }
  })();
}
