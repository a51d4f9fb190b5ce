/**
 * OAuthSessionManager: seed 003's OAuth 2.1 session of an IDE extension with one deployment (an
 * issuer): dynamic client registration (RFC 7591), PKCE sign-in through a browser (RFC 6749
 * §4.1, RFC 7636 S256, `state` §10.12, `iss` RFC 9207), tokens kept per deployment, proactive and
 * reactive refresh with rotation (RFC 6749 §6, RFC 9700 §4.14.2), one shared refresh for
 * concurrent callers, `invalid_grant`/`invalid_client` ending the session, and revocation on
 * sign-out (RFC 7009). Built on oauth4webapi; nothing is logged.
 */
import * as oauth from 'oauth4webapi';
import {
  IssuerMismatch,
  InvalidClientError,
  InvalidGrantError,
  OAuthError,
  ReauthenticationRequired,
  StateMismatch,
  toOAuthError,
} from './errors.js';
import { type ClientAuthMethod, type ValidatedMetadata, discover, requestOptions, supportedAuthMethods } from './metadata.js';
import type { OAuthStore, StoredRegistration, StoredTokens } from './store.js';

/**
 * Opens `authorizationUrl` in a browser and resolves with the URL the server redirected to
 * (`redirectUri` with `code` or `error`, `state`, `iss`). Tests pass a scripted user agent.
 */
export type Browser = (authorizationUrl: URL, redirectUri: string) => Promise<URL | string>;

export interface OAuthSessionOptions {
  /** The deployment's issuer identifier (RFC 8414 §2), e.g. `https://gitlab.example.com`. */
  issuer: string;
  store: OAuthStore;
  /** The loopback redirect URI registered for the client (RFC 8252 §7.3), e.g. `http://127.0.0.1:<port>/callback`. */
  redirectUri: string;
  /** Scope to register and ask for; the registration's granted scope wins when the server names one. */
  scope?: string;
  /** RFC 7591 `client_name`. */
  clientName?: string;
  /** Refresh this many seconds before the access token expires (default 60). */
  refreshMarginSeconds?: number;
  /** Used for every request (tests count them); global fetch by default. */
  fetch?: typeof fetch;
  /** Epoch milliseconds (tests move time); Date.now by default. */
  now?: () => number;
}

/** An authorization request waiting for its callback: the `state` it is keyed by, and its PKCE verifier. */
interface PendingSignIn {
  state: string;
  codeVerifier: string;
  registration: StoredRegistration;
  authorizationUrl: URL;
}

/** What sign-out achieved at the server; local state is cleared either way. */
export interface SignOutResult {
  refreshTokenRevoked: boolean;
  accessTokenRevoked: boolean;
  /** Why a revocation failed (typed OAuth error or transport error), when one did. */
  errors: unknown[];
}

const DEFAULT_MARGIN_SECONDS = 60;

export class OAuthSessionManager {
  readonly issuer: string;
  private readonly margin: number;
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => number;
  private metadata?: Promise<ValidatedMetadata>;
  /** Pending sign-ins by `state`: a callback reaching this manager (another window's, seed 003) finds its own. */
  private readonly pending = new Map<string, PendingSignIn>();
  /** The refresh in flight: concurrent callers share it (single flight). */
  private refreshing?: Promise<StoredTokens>;

  constructor(private readonly options: OAuthSessionOptions) {
    this.issuer = options.issuer;
    this.margin = options.refreshMarginSeconds ?? DEFAULT_MARGIN_SECONDS;
    this.fetchImpl = options.fetch ?? fetch;
    this.now = options.now ?? Date.now;
  }

  /** The validated metadata (discovered once per manager; a failed discovery is retried next time). */
  serverMetadata(): Promise<ValidatedMetadata> {
    this.metadata ??= discover(this.issuer, this.fetchImpl).catch((e: unknown) => {
      this.metadata = undefined;
      throw e;
    });
    return this.metadata;
  }

  /**
   * Signs in: registers when no registration is stored, opens the authorization URL (PKCE S256,
   * fresh `state`) through `browser`, and exchanges the code. A registration the server no longer
   * knows (`invalid_client` at the token endpoint) is dropped and the whole sign-in redone once
   * with a new registration; a second `invalid_client` is thrown.
   * @throws StateMismatch, IssuerMismatch, the typed OAuthError of an error response, MetadataRefused.
   */
  async signIn(browser: Browser): Promise<StoredTokens> {
    try {
      return await this.signInOnce(browser);
    } catch (e) {
      if (!(e instanceof InvalidClientError)) throw e;
      await this.options.store.update(this.issuer, () => ({}));
      return this.signInOnce(browser);
    }
  }

  /**
   * Starts a sign-in without a browser: the authorization URL to open, its `state`. The callback
   * goes to completeSignIn, from wherever it arrives.
   */
  async beginSignIn(): Promise<{ authorizationUrl: URL; state: string }> {
    const as = await this.serverMetadata();
    const registration = await this.registration(as);
    const codeVerifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const authorizationUrl = new URL(as.authorization_endpoint);
    const scope = registration.scope ?? this.options.scope;
    authorizationUrl.search = new URLSearchParams({
      response_type: 'code',
      client_id: registration.client_id,
      redirect_uri: this.options.redirectUri,
      ...(scope ? { scope } : {}),
      state,
      code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    }).toString();
    this.pending.set(state, { state, codeVerifier, registration, authorizationUrl });
    return { authorizationUrl, state };
  }

  /**
   * Completes the pending sign-in the callback's `state` names (the pending entry is used up,
   * successful or not), checking `iss` (RFC 9207 §2.4) and exchanging the code with its verifier.
   * @param expectedState when given, the callback must belong to that sign-in (one window's own).
   * @throws StateMismatch for a callback without a pending sign-in or for another one.
   */
  async completeSignIn(callback: URL | string, expectedState?: string): Promise<StoredTokens> {
    const url = new URL(callback);
    const params = url.searchParams.has('state') || url.searchParams.has('code') || url.searchParams.has('error') ? url.searchParams : new URLSearchParams(url.hash.slice(1));
    const state = params.get('state');
    if (state === null) throw new StateMismatch('the callback has no state');
    if (expectedState !== undefined && state !== expectedState) throw new StateMismatch('the callback belongs to another sign-in than the one waiting for it');
    const pending = this.pending.get(state);
    if (!pending) throw new StateMismatch('the callback state belongs to no pending sign-in');
    this.pending.delete(state);

    const as = await this.serverMetadata();
    const client = clientOf(pending.registration);
    let validated: URLSearchParams;
    try {
      validated = oauth.validateAuthResponse(as, client, params, pending.state);
    } catch (e) {
      throw await this.translate(e, 'authorization response (RFC 9207 §2.4)', params.get('iss') ?? undefined);
    }
    try {
      const response = await oauth.authorizationCodeGrantRequest(as, client, clientAuth(pending.registration), validated, this.options.redirectUri, pending.codeVerifier, requestOptions(new URL(this.issuer), this.fetchImpl));
      const tokens = this.tokensOf(await oauth.processAuthorizationCodeResponse(as, client, response));
      await this.options.store.update(this.issuer, (r) => ({ ...r, tokens }));
      return tokens;
    } catch (e) {
      throw await toOAuthError(e);
    }
  }

  /**
   * A usable access token: the stored one, or a refreshed one when it expires within the margin
   * (seed 003's proactive refresh). Concurrent callers share one refresh.
   * @throws ReauthenticationRequired when not signed in, or when the refresh ended the session.
   */
  async accessToken(): Promise<string> {
    const { tokens } = await this.options.store.read(this.issuer);
    if (!tokens) throw new ReauthenticationRequired(this.issuer, 'not signed in');
    if (tokens.expires_at !== undefined && this.now() / 1000 >= tokens.expires_at - this.margin) return (await this.refresh(tokens.access_token)).access_token;
    return tokens.access_token;
  }

  /**
   * fetch with `Authorization: Bearer` (RFC 6750 §2.1). On a 401 it refreshes once and retries
   * exactly once (seed 003's reactive refresh); the retry's answer is returned whatever it is.
   */
  async fetchWithAuth(input: string | URL, init: RequestInit = {}): Promise<Response> {
    const token = await this.accessToken();
    const first = await this.fetchImpl(input, withBearer(init, token));
    if (first.status !== 401) return first;
    await first.body?.cancel();
    const refreshed = await this.refresh(token);
    return this.fetchImpl(input, withBearer(init, refreshed.access_token));
  }

  /**
   * Revokes the refresh token, then the access token (RFC 7009 §2.1; revoking the refresh token
   * first, as §2.1 lets a server end its access tokens with it), and clears the deployment's
   * stored tokens and registration whatever the server answered.
   */
  async signOut(): Promise<SignOutResult> {
    const { registration, tokens } = await this.options.store.read(this.issuer);
    const result: SignOutResult = { refreshTokenRevoked: false, accessTokenRevoked: false, errors: [] };
    try {
      if (registration && tokens) {
        const as = await this.serverMetadata();
        if (as.revocation_endpoint) {
          const revoke = async (token: string, hint: 'refresh_token' | 'access_token') => {
            try {
              const response = await oauth.revocationRequest(as, clientOf(registration), clientAuth(registration), token, {
                ...requestOptions(new URL(this.issuer), this.fetchImpl),
                additionalParameters: { token_type_hint: hint },
              });
              await oauth.processRevocationResponse(response);
              return true;
            } catch (e) {
              result.errors.push(await toOAuthError(e));
              return false;
            }
          };
          if (tokens.refresh_token) result.refreshTokenRevoked = await revoke(tokens.refresh_token, 'refresh_token');
          result.accessTokenRevoked = await revoke(tokens.access_token, 'access_token');
        }
      }
    } finally {
      this.pending.clear();
      await this.options.store.update(this.issuer, () => ({}));
    }
    return result;
  }

  /** Refreshes unless someone already replaced `staleAccessToken`; one refresh at a time. */
  private refresh(staleAccessToken: string): Promise<StoredTokens> {
    this.refreshing ??= this.refreshNow(staleAccessToken).finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async refreshNow(staleAccessToken: string): Promise<StoredTokens> {
    const { registration, tokens } = await this.options.store.read(this.issuer);
    if (!tokens || !registration) throw new ReauthenticationRequired(this.issuer, 'not signed in');
    // A refresh that finished before this one started already replaced the token the caller saw.
    if (tokens.access_token !== staleAccessToken && !this.expiresSoon(tokens)) return tokens;
    if (!tokens.refresh_token) {
      await this.options.store.update(this.issuer, (r) => ({ registration: r.registration }));
      throw new ReauthenticationRequired(this.issuer, 'the access token expired and the server gave no refresh token');
    }
    const as = await this.serverMetadata();
    try {
      const response = await oauth.refreshTokenGrantRequest(as, clientOf(registration), clientAuth(registration), tokens.refresh_token, requestOptions(new URL(this.issuer), this.fetchImpl));
      const answer = await oauth.processRefreshTokenResponse(as, clientOf(registration), response);
      // RFC 6749 §6: the server may rotate the refresh token; keep the old one when it did not.
      const next = { ...this.tokensOf(answer), ...(answer.refresh_token ? {} : { refresh_token: tokens.refresh_token }) };
      await this.options.store.update(this.issuer, (r) => ({ ...r, tokens: next }));
      return next;
    } catch (e) {
      const error = await toOAuthError(e);
      if (error instanceof InvalidGrantError) {
        await this.options.store.update(this.issuer, (r) => ({ registration: r.registration }));
        throw new ReauthenticationRequired(this.issuer, 'the server refused the refresh token (invalid_grant)', error);
      }
      if (error instanceof InvalidClientError) {
        await this.options.store.update(this.issuer, () => ({}));
        throw new ReauthenticationRequired(this.issuer, 'the server no longer knows this client (invalid_client); it will register again', error);
      }
      throw error;
    }
  }

  private expiresSoon(tokens: StoredTokens): boolean {
    return tokens.expires_at !== undefined && this.now() / 1000 >= tokens.expires_at - this.margin;
  }

  private async signInOnce(browser: Browser): Promise<StoredTokens> {
    const { authorizationUrl, state } = await this.beginSignIn();
    try {
      const callback = await browser(authorizationUrl, this.options.redirectUri);
      return await this.completeSignIn(callback, state);
    } finally {
      this.pending.delete(state);
    }
  }

  /** The stored registration, or a new one (RFC 7591 §3.1) as a public client with the loopback redirect URI. */
  private async registration(as: ValidatedMetadata): Promise<StoredRegistration> {
    const stored = (await this.options.store.read(this.issuer)).registration;
    if (stored) return stored;
    if (!as.registration_endpoint) throw new OAuthError('registration_unavailable', 'the server has no registration_endpoint (RFC 8414 §2) and no client is stored', undefined);
    const method: ClientAuthMethod = supportedAuthMethods(as)[0]!;
    try {
      const response = await oauth.dynamicClientRegistrationRequest(
        as,
        {
          client_name: this.options.clientName ?? 'ai-auth-harness OAuth 2.1 reference client',
          redirect_uris: [this.options.redirectUri],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          token_endpoint_auth_method: method,
          ...(this.options.scope ? { scope: this.options.scope } : {}),
        },
        requestOptions(new URL(this.issuer), this.fetchImpl),
      );
      const answer = await oauth.processDynamicClientRegistrationResponse(response);
      const registration: StoredRegistration = {
        client_id: answer.client_id,
        ...(typeof answer.client_secret === 'string' ? { client_secret: answer.client_secret } : {}),
        token_endpoint_auth_method: typeof answer.token_endpoint_auth_method === 'string' ? answer.token_endpoint_auth_method : method,
        redirect_uris: Array.isArray(answer.redirect_uris) ? (answer.redirect_uris as string[]) : [this.options.redirectUri],
        ...(typeof answer.scope === 'string' && answer.scope ? { scope: answer.scope } : {}),
        ...(typeof answer.registration_access_token === 'string' ? { registration_access_token: answer.registration_access_token } : {}),
        ...(typeof answer.registration_client_uri === 'string' ? { registration_client_uri: answer.registration_client_uri } : {}),
      };
      await this.options.store.update(this.issuer, (r) => ({ ...r, registration }));
      return registration;
    } catch (e) {
      throw await toOAuthError(e);
    }
  }

  private tokensOf(answer: oauth.TokenEndpointResponse): StoredTokens {
    return {
      access_token: answer.access_token,
      ...(answer.refresh_token ? { refresh_token: answer.refresh_token } : {}),
      ...(typeof answer.expires_in === 'number' ? { expires_at: Math.floor(this.now() / 1000) + answer.expires_in } : {}),
      ...(answer.scope ? { scope: answer.scope } : {}),
    };
  }

  /** oauth4webapi's refusal of an authorization response, typed: a wrong or missing `iss` is an IssuerMismatch. */
  private async translate(e: unknown, where: string, iss: string | undefined): Promise<unknown> {
    if (e instanceof oauth.OperationProcessingError && /"iss"/.test(e.message)) return new IssuerMismatch(this.issuer, iss, where);
    return toOAuthError(e);
  }
}

/** oauth4webapi's Client for a registration. */
function clientOf(registration: StoredRegistration): oauth.Client {
  return { client_id: registration.client_id, token_endpoint_auth_method: registration.token_endpoint_auth_method };
}

/**
 * How the client authenticates at the token and revocation endpoints: with its secret when the
 * server issued one (RFC 6749 §2.3.1; Basic unless registered for post), else as a public
 * client sending only client_id (RFC 6749 §2.1, RFC 7591 `none`).
 */
function clientAuth(registration: StoredRegistration): oauth.ClientAuth {
  if (registration.client_secret === undefined) return oauth.None();
  return registration.token_endpoint_auth_method === 'client_secret_post' ? oauth.ClientSecretPost(registration.client_secret) : oauth.ClientSecretBasic(registration.client_secret);
}

function withBearer(init: RequestInit, token: string): RequestInit {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  return { ...init, headers };
}
