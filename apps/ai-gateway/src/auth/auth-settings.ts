import { AUDIENCE } from '../../../../contracts/src/index.js';
import { issuerWithoutTrailingSlash, type AiGatewayConfig } from '../config.js';

export type LegacyAudienceWindow = 'open' | 'closed';

export interface AuthSettingsSnapshot {
  audience: string;
  legacyAudience: string;
  legacyAudienceWindow: LegacyAudienceWindow;
  acceptedAudiences: readonly string[];
  trustedIssuers: readonly string[];
  algorithms: readonly string[];
  clockSkewSeconds: number;
}

/**
 * The verifier's policy in one place. The audience and the legacy-audience window change at
 * run time (the audience-migration scenario flips them through the control API); the derived
 * lists are recomputed on change so the per-request path only reads them.
 */
export class AuthSettings {
  readonly trustedIssuers: readonly string[];
  /** Token `iss` -> configured issuer: each issuer as written and with or without one terminating '/'. */
  private readonly issuerByClaim: ReadonlyMap<string, string>;
  readonly algorithms: readonly string[];
  readonly algorithmSet: ReadonlySet<string>;
  readonly clockSkewSeconds: number;
  readonly legacyAudience: string = AUDIENCE.LEGACY_CODE_SUGGESTIONS;

  private currentAudience: string;
  private window: LegacyAudienceWindow;
  private accepted: readonly string[] = [];

  constructor(options: {
    trustedIssuers: readonly string[];
    algorithms: readonly string[];
    clockSkewSeconds: number;
    audience: string;
    legacyAudienceWindow: LegacyAudienceWindow;
  }) {
    this.trustedIssuers = [...options.trustedIssuers];
    const byClaim = new Map<string, string>();
    for (const issuer of this.trustedIssuers) {
      const bare = issuerWithoutTrailingSlash(issuer);
      for (const spelling of [issuer, bare, `${bare}/`]) if (!byClaim.has(spelling)) byClaim.set(spelling, issuer);
    }
    this.issuerByClaim = byClaim;
    this.algorithms = [...options.algorithms];
    this.algorithmSet = new Set(this.algorithms);
    this.clockSkewSeconds = options.clockSkewSeconds;
    this.currentAudience = options.audience;
    this.window = options.legacyAudienceWindow;
    this.derive();
  }

  static fromConfig(config: AiGatewayConfig): AuthSettings {
    return new AuthSettings({
      trustedIssuers: config.AIGW_TRUSTED_ISSUERS,
      algorithms: config.AIGW_ALGORITHMS,
      clockSkewSeconds: config.AIGW_CLOCK_SKEW_SECONDS,
      audience: config.AIGW_AUDIENCE,
      legacyAudienceWindow: config.AIGW_LEGACY_AUDIENCE_WINDOW,
    });
  }

  /**
   * The configured issuer a token's `iss` may belong to, or undefined for an untrusted one: a
   * cheap filter before any key lookup. Either spelling of a terminating '/' passes here; the
   * signature check then requires `iss` to equal the issuer as its discovery document spells it.
   */
  trustedIssuerFor(iss: unknown): string | undefined {
    return typeof iss === 'string' ? this.issuerByClaim.get(iss) : undefined;
  }

  get audience(): string {
    return this.currentAudience;
  }

  get legacyAudienceWindow(): LegacyAudienceWindow {
    return this.window;
  }

  /** Audiences a token's `aud` must contain one of. */
  get acceptedAudiences(): readonly string[] {
    return this.accepted;
  }

  /** True while a legacy-audience token is accepted and read as carrying ["code_suggestions"] (seed 002). */
  get legacyWindowOpen(): boolean {
    return this.window === 'open';
  }

  update(change: { audience?: string | undefined; legacyAudienceWindow?: LegacyAudienceWindow | undefined }): AuthSettingsSnapshot {
    if (change.audience !== undefined) this.currentAudience = change.audience;
    if (change.legacyAudienceWindow !== undefined) this.window = change.legacyAudienceWindow;
    this.derive();
    return this.snapshot();
  }

  snapshot(): AuthSettingsSnapshot {
    return {
      audience: this.currentAudience,
      legacyAudience: this.legacyAudience,
      legacyAudienceWindow: this.window,
      acceptedAudiences: this.accepted,
      trustedIssuers: this.trustedIssuers,
      algorithms: this.algorithms,
      clockSkewSeconds: this.clockSkewSeconds,
    };
  }

  private derive(): void {
    this.accepted =
      this.window === 'open' && this.legacyAudience !== this.currentAudience
        ? [this.currentAudience, this.legacyAudience]
        : [this.currentAudience];
  }
}
