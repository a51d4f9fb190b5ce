import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { type DemoInstance, type DemoOAuthApplication, type OAuthRegistrationMode, SESSION_COOKIE } from '#contracts';
import { APP_CONFIG, APP_LOGGER, ContractHttpException, type HarnessResettable, type Logger } from '#common';
import type { GitlabConfig } from '../config.js';
import { IdentityService } from '../identity/identity.service.js';
import { INSTANCE_FIXTURE } from '../instance/di.js';
import { InstanceInfo } from '../instance/instance-info.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { SigningKeys } from '../signing/signing-keys.service.js';
import { OAuthStore, StoreFullError } from './oauth-store.js';
import { type OidcProvider, loadOidcProvider } from './oidc-provider-api.js';
import { GITLAB_CLIENT_METADATA, buildProviderConfiguration } from './provider-configuration.js';
import { doorkeeperTokenResponse, unauthorizedClientError } from './provider-middleware.js';

interface Built {
  provider: OidcProvider;
  callback: (req: IncomingMessage, res: ServerResponse) => void;
  /** The signing keys and registration mode it was built with. */
  fingerprint: string;
}

/** The client metadata of an application (Doorkeeper::Application as oidc-provider stores a client). */
export interface ApplicationMetadata {
  client_id: string;
  client_secret?: string;
  client_name: string;
  redirect_uris: string[];
  scope: string;
  token_endpoint_auth_method: 'none' | 'client_secret_basic' | 'client_secret_post';
  grant_types: string[];
  response_types: string[];
  [GITLAB_CLIENT_METADATA.TRUSTED]?: boolean;
  [GITLAB_CLIENT_METADATA.APPLICATION_ID]: number;
}

/** oidc-provider's model name for clients in the store. */
export const CLIENT_MODEL = 'Client';

/** The cookie header's `_gitlab_session` value. */
function sessionCookieOf(header: string | undefined): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/**
 * GitLab's OAuth authorization server: oidc-provider configured for GitLab's rules over one
 * OAuthStore, built on first use (the issuer, the instance URL, is known only after listen) and
 * rebuilt, with the same store and cookie keys, whenever the signing keys or the registration
 * mode change (oidc-provider reads its `jwks` once, at construction: without a rebuild, ID
 * tokens would keep the old kid after a rotation). The demo fixture's applications are
 * (re)registered on first use and after the control API's reset.
 */
@Injectable()
export class AuthorizationServer implements HarnessResettable {
  readonly store: OAuthStore;
  private mode: OAuthRegistrationMode;
  private built?: Built;
  private building?: Promise<Built>;
  private seeded = false;
  private nextApplicationId = 1;
  private readonly cookieKeys = [randomBytes(32).toString('base64url')];

  constructor(
    @Inject(APP_CONFIG) private readonly config: GitlabConfig,
    @Inject(APP_LOGGER) private readonly logger: Logger,
    @Inject(INSTANCE_FIXTURE) private readonly fixture: DemoInstance,
    @Inject(InstanceInfo) private readonly instance: InstanceInfo,
    @Inject(SigningKeys) private readonly keys: SigningKeys,
    @Inject(IdentityService) private readonly identity: IdentityService,
    @Inject(SessionsService) private readonly sessions: SessionsService,
  ) {
    this.store = new OAuthStore(config.oauthStoreMaxEntries);
    this.mode = config.oauthRegistrationMode;
  }

  get registrationMode(): OAuthRegistrationMode {
    return this.mode;
  }

  /** Switches how POST /oauth/register answers (the control API); the next request gets a rebuilt engine. */
  setRegistrationMode(mode: OAuthRegistrationMode): void {
    this.mode = mode;
  }

  /** The engine as it should be now (built or rebuilt when the keys or the mode changed). */
  async provider(): Promise<OidcProvider> {
    return (await this.current()).provider;
  }

  /** Hands a raw Node request to the engine. Its URLs are pinned to the issuer's origin whatever Host the request named. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { callback } = await this.current();
    const issuer = new URL(this.instance.url);
    req.headers['x-forwarded-proto'] = issuer.protocol.slice(0, -1);
    req.headers['x-forwarded-host'] = issuer.host;
    callback(req, res);
  }

  /**
   * Stores an application (a client of the engine). A store full of live entries is 503
   * `temporarily_unavailable`, as the engine answers it, never a 500.
   */
  saveApplication(metadata: ApplicationMetadata & { client_id_issued_at?: number; [GITLAB_CLIENT_METADATA.DYNAMIC]?: true }): void {
    try {
      this.store.upsert(CLIENT_MODEL, metadata.client_id, { ...metadata });
    } catch (e) {
      if (!(e instanceof StoreFullError)) throw e;
      throw new ContractHttpException({ error: e.error, error_description: e.error_description }, 503);
    }
  }

  /** A new numeric application id (Doorkeeper::Application#id) for the admin API. */
  allocateApplicationId(): number {
    return this.nextApplicationId++;
  }

  /** Forgets every token, grant, session and application; the fixture's applications and the configured mode come back. */
  reset(): void {
    this.store.clear();
    this.mode = this.config.oauthRegistrationMode;
    this.nextApplicationId = 1;
    this.seeded = false;
  }

  private async current(): Promise<Built> {
    if (this.built?.fingerprint === this.fingerprint()) {
      if (!this.seeded) this.seedFixtureApplications();
      return this.built;
    }
    this.building ??= this.build().finally(() => (this.building = undefined));
    this.built = await this.building;
    if (!this.seeded) this.seedFixtureApplications();
    return this.built;
  }

  private fingerprint(): string {
    return `${this.mode}|${this.keys.activeKid}|${this.keys.list().map((k) => k.kid).join(',')}`;
  }

  private async build(): Promise<Built> {
    const lib = await loadOidcProvider(this.logger);
    const fingerprint = this.fingerprint();
    const issuer = this.instance.url;
    const provider = new lib.Provider(
      issuer,
      buildProviderConfiguration({
        lib,
        store: this.store,
        registrationMode: this.mode,
        jwks: this.keys.privateJwks(),
        cookieKeys: this.cookieKeys,
        issuer,
        sessionUserId: (cookie) => this.sessions.get(sessionCookieOf(cookie))?.userId,
        findUser: (id) => this.identity.findUserById(id),
      }),
    );
    // The mount sets X-Forwarded-Proto/Host from the issuer: every URL the engine writes is the issuer's.
    provider.proxy = true;
    provider.use(doorkeeperTokenResponse);
    provider.use(unauthorizedClientError);
    // Errors the engine did not expect (its own 500s); client errors are answered, not logged.
    provider.on('server_error', (_ctx, err) => this.logger.error({ component: 'oauth', error: (err as Error).message }, 'authorization server error'));
    return { provider, callback: provider.callback(), fingerprint };
  }

  /** Registers the fixture's applications (redirect URIs starting with '/' are relative to the instance URL). */
  private seedFixtureApplications(): void {
    this.seeded = true;
    for (const app of this.fixture.oauth_applications ?? []) {
      const metadata = fixtureApplicationMetadata(app, this.instance.url, this.allocateApplicationId());
      this.store.upsert(CLIENT_MODEL, metadata.client_id, { ...metadata });
    }
  }
}

/** A fixture application as client metadata. */
export function fixtureApplicationMetadata(app: DemoOAuthApplication, instanceUrl: string, applicationId: number): ApplicationMetadata {
  return {
    client_id: app.client_id,
    ...(app.confidential ? { client_secret: app.secret } : {}),
    client_name: app.name,
    redirect_uris: app.redirect_uris.map((u) => (u.startsWith('/') ? `${instanceUrl}${u}` : u)),
    scope: app.scopes.join(' '),
    token_endpoint_auth_method: app.confidential ? 'client_secret_basic' : 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    ...(app.trusted ? { [GITLAB_CLIENT_METADATA.TRUSTED]: true } : {}),
    [GITLAB_CLIENT_METADATA.APPLICATION_ID]: applicationId,
  };
}
