import type { DemoInstance } from '#contracts';

/** What the APIs show of the settings: whether a service access token is stored, never the token. */
export interface InstanceSettingsView {
  code_suggestions_enabled: boolean;
  ai_access_token_set: boolean;
}

/** An update as both APIs accept it; an ai_access_token of null or '' clears the stored token. */
export interface InstanceSettingsChange {
  code_suggestions_enabled?: boolean;
  ai_access_token?: string | null;
}

export const AI_ACCESS_TOKEN_MAX_LENGTH = 1024;
/** Visible ASCII only: the token travels in an Authorization header, where anything else breaks it. */
const SERVICE_TOKEN = new RegExp(`^[\\x21-\\x7E]{1,${AI_ACCESS_TOKEN_MAX_LENGTH}}$`);
/** Why a token is refused; never contains the token itself. */
export const AI_ACCESS_TOKEN_RULE = `must be 1 to ${AI_ACCESS_TOKEN_MAX_LENGTH} visible ASCII characters without spaces (empty or null clears it)`;

export function isValidServiceToken(token: string): boolean {
  return SERVICE_TOKEN.test(token);
}

/** A seeded or stored value that breaks the rule (the message names the field, never the value). */
export class InvalidSettingError extends Error {
  constructor(readonly field: string, reason: string) {
    super(`${field} ${reason}`);
    this.name = 'InvalidSettingError';
  }
}

/**
 * The application settings of seed 001 (::Gitlab::CurrentSettings): whether code suggestions
 * are enabled on this instance and the service access token an admin stored for the relay to
 * SaaS. In memory, seeded from the fixture's `settings`, changed by the admin API and the
 * control API, restored by reset(). The token is read only by the relay (serviceAccessToken);
 * everything shown to a caller is the view, which says whether one is set.
 */
export class InstanceSettings {
  private codeSuggestionsEnabled = false;
  private aiAccessToken: string | undefined;
  private readonly seeded: { codeSuggestionsEnabled: boolean; aiAccessToken: string | undefined };

  /** Unset settings take GitLab's defaults: code suggestions off, no token. */
  constructor(seed: DemoInstance['settings'] = {}) {
    const token = seed?.ai_access_token || undefined;
    if (token !== undefined && !isValidServiceToken(token)) throw new InvalidSettingError('ai_access_token', AI_ACCESS_TOKEN_RULE);
    this.seeded = { codeSuggestionsEnabled: seed?.code_suggestions_enabled ?? false, aiAccessToken: token };
    this.reset();
  }

  get codeSuggestions(): boolean {
    return this.codeSuggestionsEnabled;
  }

  /** The stored service access token, for the relay's Authorization header only. */
  serviceAccessToken(): string | undefined {
    return this.aiAccessToken;
  }

  view(): InstanceSettingsView {
    return { code_suggestions_enabled: this.codeSuggestionsEnabled, ai_access_token_set: this.aiAccessToken !== undefined };
  }

  /** Applies a validated change atomically (all or nothing) and returns the new view. */
  update(change: InstanceSettingsChange): InstanceSettingsView {
    const token = change.ai_access_token;
    if (typeof token === 'string' && token !== '' && !isValidServiceToken(token)) {
      throw new InvalidSettingError('ai_access_token', AI_ACCESS_TOKEN_RULE);
    }
    if (change.code_suggestions_enabled !== undefined) this.codeSuggestionsEnabled = change.code_suggestions_enabled;
    if (token !== undefined) this.aiAccessToken = token || undefined;
    return this.view();
  }

  reset(): void {
    this.codeSuggestionsEnabled = this.seeded.codeSuggestionsEnabled;
    this.aiAccessToken = this.seeded.aiAccessToken;
  }
}
