import { Inject, Injectable } from '@nestjs/common';
import { AI_TOKEN_SHAPES, AI_TOKEN_SHAPE_INFO, type AiTokenSettingsState, type AiTokenSettingsUpdate, type AiTokenShape } from '#contracts';
import { APP_CONFIG, type HarnessResettable } from '#common';

/** "'seed-000', 'seed-002', 'cloud-connector'": for messages that list the allowed shapes. */
export const AI_TOKEN_SHAPE_LIST = AI_TOKEN_SHAPES.map((shape) => `'${shape}'`).join(', ');

/** "seed-000: gitlab-code-suggestions; ...": for messages that explain where the audience went. */
export const AI_TOKEN_SHAPE_AUDIENCES = AI_TOKEN_SHAPES.map((shape) => `${shape}: ${AI_TOKEN_SHAPE_INFO[shape].audience}`).join('; ');

/** How the issuer is configured: a token generation, and optionally a kid choice of its own. */
export interface AiTokenIssuerConfig {
  /** Which generation of GitLab's AI access token is minted (contracts AI_TOKEN_SHAPES). */
  shape: AiTokenShape;
  /** Whether the JOSE header names the key; undefined means the shape's own choice (AI_TOKEN_SHAPE_INFO[shape].kid). */
  includeKid?: boolean;
}

/** The settings in force, as GET /-/harness/ai-token shows them (contracts `aiTokenSettings`); includeKid as it applies now. */
export type AiTokenIssuerSettings = AiTokenSettingsState;

/**
 * A change from PUT /-/harness/ai-token (contracts `aiTokenSettingsUpdate`). `includeKid`: a
 * boolean overrides the kid choice of the shape in force after the change; null returns to that
 * shape's default; absent keeps the current choice, except that switching `shape` starts from
 * the new shape's default (so a PUT of a shape alone always gives that generation exactly as
 * GitLab minted it).
 */
export type AiTokenSettingsChange = AiTokenSettingsUpdate;

/**
 * The AI access token issuer's settings: from config at start (AI_TOKEN_SHAPE,
 * AI_TOKEN_INCLUDE_KID), switchable at runtime by the control API (the audience-migration
 * scenario moves an issuer from one generation to the next without a restart), restored by
 * reset().
 */
@Injectable()
export class AiTokenSettings implements HarnessResettable {
  private readonly initial: AiTokenIssuerConfig;
  private current: AiTokenIssuerConfig;

  constructor(@Inject(APP_CONFIG) config: { aiTokenShape: AiTokenShape; aiTokenIncludeKid?: boolean | undefined }) {
    this.initial = config.aiTokenIncludeKid === undefined ? { shape: config.aiTokenShape } : { shape: config.aiTokenShape, includeKid: config.aiTokenIncludeKid };
    this.current = { ...this.initial };
  }

  get(): AiTokenIssuerSettings {
    const { shape, includeKid } = this.current;
    const info = AI_TOKEN_SHAPE_INFO[shape];
    return { shape, audience: info.audience, includeKid: includeKid ?? info.kid };
  }

  update(change: AiTokenSettingsChange): AiTokenIssuerSettings {
    const shape = change.shape ?? this.current.shape;
    const keptKid = change.shape === undefined ? this.current.includeKid : undefined;
    const includeKid = change.includeKid === undefined ? keptKid : (change.includeKid ?? undefined);
    this.current = includeKid === undefined ? { shape } : { shape, includeKid };
    return this.get();
  }

  reset(): void {
    this.current = { ...this.initial };
  }
}
