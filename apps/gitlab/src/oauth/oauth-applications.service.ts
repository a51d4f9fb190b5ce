import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { OAUTH_SCOPES, type OAuthApplicationView, type OAuthApplicationWithSecret } from '#contracts';
import { ContractHttpException } from '#common';
import { type ApplicationMetadata, AuthorizationServer, CLIENT_MODEL } from './authorization-server.js';
import { GITLAB_CLIENT_METADATA } from './provider-configuration.js';

/** What POST /api/v4/applications takes (API::Applications `params`). */
export interface NewApplication {
  name: string;
  /** One or more redirect URIs, whitespace-separated (GitLab stores them newline-separated). */
  redirectUri: string;
  scopes: string[];
  /** Default true, as GitLab's. */
  confidential: boolean;
}

/** GitLab's 400 for a model validation failure: `{"message": {field: [messages]}}` (API::Helpers#render_validation_error!). */
function validationError(fieldName: string, message: string): ContractHttpException {
  return new ContractHttpException({ message: { [fieldName]: [message] } }, 400);
}

/** An application's view in GitLab's admin API (API::Entities::Application). */
export function applicationView(m: Partial<ApplicationMetadata>): OAuthApplicationView {
  return {
    id: Number(m[GITLAB_CLIENT_METADATA.APPLICATION_ID]),
    application_id: String(m.client_id),
    application_name: String(m.client_name ?? ''),
    callback_url: (m.redirect_uris ?? []).join('\n'),
    confidential: m.token_endpoint_auth_method !== 'none',
  };
}

/**
 * OAuth applications as GitLab's admin API manages them (API::Applications): stored as the
 * authorization server's clients, validated by the engine (redirect URIs), given a numeric id
 * and a uid; the secret is shown once, in the creation answer. Deleting an application deletes
 * its grants and tokens (Doorkeeper's `has_many :access_tokens, dependent: :delete_all`).
 */
@Injectable()
export class OAuthApplications {
  constructor(@Inject(AuthorizationServer) private readonly server: AuthorizationServer) {}

  async list(): Promise<OAuthApplicationView[]> {
    await this.server.provider();
    return this.server.store
      .list(CLIENT_MODEL)
      .map((m) => m as Partial<ApplicationMetadata>)
      .filter((m) => typeof m[GITLAB_CLIENT_METADATA.APPLICATION_ID] === 'number')
      .map(applicationView)
      .sort((a, b) => a.id - b.id);
  }

  /** Creates an application; 400 with GitLab's validation body for bad scopes or redirect URIs. */
  async create(input: NewApplication): Promise<OAuthApplicationWithSecret> {
    const provider = await this.server.provider();
    const unknown = input.scopes.filter((s) => !(OAUTH_SCOPES as readonly string[]).includes(s));
    if (unknown.length || input.scopes.length === 0) throw validationError('scopes', "doesn't match configured on the server.");
    const redirectUris = input.redirectUri.split(/\s+/).filter(Boolean);
    const secret = `gloas-${randomBytes(32).toString('hex')}`;
    const metadata: ApplicationMetadata = {
      client_id: randomBytes(32).toString('hex'),
      ...(input.confidential ? { client_secret: secret } : {}),
      client_name: input.name,
      redirect_uris: redirectUris,
      scope: input.scopes.join(' '),
      token_endpoint_auth_method: input.confidential ? 'client_secret_basic' : 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      [GITLAB_CLIENT_METADATA.APPLICATION_ID]: this.server.allocateApplicationId(),
    };
    try {
      await provider.Client.validate({ ...metadata });
    } catch (e) {
      const description = (e as { error_description?: string }).error_description ?? 'is invalid';
      throw validationError('redirect_uri', description);
    }
    this.server.saveApplication(metadata);
    // GitLab shows the secret once, for public applications too (API::Entities::ApplicationWithSecret).
    return { ...applicationView(metadata), secret };
  }

  /** Deletes an application with its grants and tokens; false when there is none with that id. */
  async delete(id: number): Promise<boolean> {
    await this.server.provider();
    const found = this.server.store.list(CLIENT_MODEL).find((m) => m[GITLAB_CLIENT_METADATA.APPLICATION_ID] === id);
    if (!found) return false;
    const clientId = String(found.client_id);
    this.server.store.forgetWhere((model, payload) => payload.clientId === clientId || (model === CLIENT_MODEL && payload.client_id === clientId));
    return true;
  }
}
