import type { Audience } from '../../../../contracts/src/index.js';

export interface AiTokenIssuerSettings {
  /** `aud` of minted tokens: gitlab-ai-gateway, or the legacy gitlab-code-suggestions (no scopes claim). */
  audience: Audience;
  /** Whether the JOSE header names the key (older GitLab issuers sent no kid). */
  includeKid: boolean;
}

/**
 * The AI access token issuer's settings: from config at start, switchable at runtime by the
 * control API (the audience-migration scenario moves an issuer from the legacy audience to
 * the new one without a restart), restored by reset().
 */
export class AiTokenSettings {
  private current: AiTokenIssuerSettings;

  constructor(private readonly initial: AiTokenIssuerSettings) {
    this.current = { ...initial };
  }

  get(): AiTokenIssuerSettings {
    return { ...this.current };
  }

  update(change: Partial<AiTokenIssuerSettings>): AiTokenIssuerSettings {
    this.current = {
      audience: change.audience ?? this.current.audience,
      includeKid: change.includeKid ?? this.current.includeKid,
    };
    return this.get();
  }

  reset(): void {
    this.current = { ...this.initial };
  }
}
