import { Inject, Injectable } from '@nestjs/common';
import { AUDIENCE, type GatewayAuthSettings, type GatewayAuthSettingsUpdate, type LegacyAudienceWindow } from '#contracts';
import { APP_CONFIG, type HarnessResettable } from '#common';
import { issuerWithoutTrailingSlash, type AiGatewayConfig } from '../config.js';

/** GET /-/harness/auth (contracts `authSettings`). */
export type AuthSettingsSnapshot = GatewayAuthSettings;

/**
 * The verifier's policy in one place. The audience and the legacy-audience window change at
 * run time (the audience-migration scenario flips them through the control API, whose reset
 * restores AIGW_AUDIENCE and AIGW_LEGACY_AUDIENCE_WINDOW); the derived lists are recomputed on
 * change so the per-request path only reads them.
 */
@Injectable()
export class AuthSettings implements HarnessResettable {
  readonly trustedIssuers: readonly string[];
  /** Token `iss` -> configured issuer: each issuer as written and with or without one terminating '/'. */
  private readonly issuerByClaim: ReadonlyMap<string, string>;
  readonly algorithms: readonly string[];
  readonly clockSkewSeconds: number;
  readonly legacyAudience: string = AUDIENCE.LEGACY_CODE_SUGGESTIONS;

  private currentAudience: string;
  private window: LegacyAudienceWindow;
  private accepted: readonly string[] = [];
  private policyGeneration = 0;

  constructor(@Inject(APP_CONFIG) private readonly options: Pick<AiGatewayConfig, 'trustedIssuers' | 'algorithms' | 'clockSkewSeconds' | 'audience' | 'legacyAudienceWindow'>) {
    this.trustedIssuers = [...options.trustedIssuers];
    const byClaim = new Map<string, string>();
    for (const issuer of this.trustedIssuers) {
      const bare = issuerWithoutTrailingSlash(issuer);
      for (const spelling of [issuer, bare, `${bare}/`]) if (!byClaim.has(spelling)) byClaim.set(spelling, issuer);
    }
    this.issuerByClaim = byClaim;
    this.algorithms = [...options.algorithms];
    this.clockSkewSeconds = options.clockSkewSeconds;
    this.currentAudience = options.audience;
    this.window = options.legacyAudienceWindow;
    this.derive();
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

  /** Audiences a token's `aud` must contain one of. */
  get acceptedAudiences(): readonly string[] {
    return this.accepted;
  }

  update(change: GatewayAuthSettingsUpdate): AuthSettingsSnapshot {
    if (change.audience !== undefined) this.currentAudience = change.audience;
    if (change.legacyAudienceWindow !== undefined) this.window = change.legacyAudienceWindow;
    this.derive();
    return this.snapshot();
  }

  /** Back to AIGW_AUDIENCE and AIGW_LEGACY_AUDIENCE_WINDOW. */
  reset(): void {
    this.update({ audience: this.options.audience, legacyAudienceWindow: this.options.legacyAudienceWindow });
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

  /** Changes on every update: what was verified under an earlier policy must be verified again. */
  get generation(): number {
    return this.policyGeneration;
  }

  private derive(): void {
    this.policyGeneration++;
    this.accepted =
      this.window === 'open' && this.legacyAudience !== this.currentAudience
        ? [this.currentAudience, this.legacyAudience]
        : [this.currentAudience];
  }
}
