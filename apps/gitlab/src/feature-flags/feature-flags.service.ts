import { Inject, Injectable } from '@nestjs/common';
import { type DemoInstance, FEATURE_FLAG, type FeatureFlagState } from '#contracts';
import type { HarnessResettable } from '#common';
import { INSTANCE_FIXTURE } from '../instance/di.js';

/** Defaults of flags the fixture does not set (GitLab's feature flag definitions). */
export const FEATURE_FLAG_DEFAULTS: Readonly<Record<string, boolean>> = {
  [FEATURE_FLAG.CODE_SUGGESTIONS_TOKENS_API]: true,
  [FEATURE_FLAG.INSTANCE_ADMIN_ENABLED]: false,
  // Off by default as the seed 004 MR shipped it ("Enable the :graphql_minimal_auth_methods feature flag").
  [FEATURE_FLAG.GRAPHQL_MINIMAL_AUTH_METHODS]: false,
};

/** A flag's gates (contracts `featureFlag`): `enabled` for everyone (Flipper's boolean gate), else for `actors` (usernames). */
export type { FeatureFlagState } from '#contracts';

interface Gates {
  enabled: boolean;
  actors: Set<string>;
}

/**
 * Feature flags as GitLab's Feature (Flipper) evaluates them: enabled for everyone, or for
 * listed actors only. Instance-wide values come from the fixture's feature_flags, actor gates
 * from each user's feature_flags; the control API changes them at runtime and reset()
 * restores the fixture's.
 */
@Injectable()
export class FeatureFlagsService implements HarnessResettable {
  private flags = new Map<string, Gates>();

  constructor(@Inject(INSTANCE_FIXTURE) private readonly instance: DemoInstance) {
    this.reset();
  }

  /** Feature.enabled?(name, actor): true when on for everyone or for this actor. */
  isEnabled(name: string, actor?: { username: string }): boolean {
    const gates = this.flags.get(name);
    if (!gates) return FEATURE_FLAG_DEFAULTS[name] ?? false;
    return gates.enabled || (actor !== undefined && gates.actors.has(actor.username.toLowerCase()));
  }

  get(name: string): FeatureFlagState {
    const gates = this.flags.get(name);
    if (!gates) return { name, enabled: FEATURE_FLAG_DEFAULTS[name] ?? false, actors: [] };
    return { name, enabled: gates.enabled, actors: [...gates.actors].sort() };
  }

  /**
   * Declarative update: `{enabled: true}` turns the flag on for everyone; `{enabled: true,
   * actors}` on for exactly those actors (off for the rest); `{enabled: false}` off for everyone,
   * clearing actor gates (as Flipper does when the boolean gate is disabled).
   */
  set(name: string, update: { enabled: boolean; actors?: readonly string[] }): FeatureFlagState {
    if (update.actors !== undefined) {
      this.flags.set(name, { enabled: false, actors: new Set(update.actors.map((a) => a.toLowerCase())) });
    } else if (update.enabled) {
      this.flags.set(name, { enabled: true, actors: this.flags.get(name)?.actors ?? new Set() });
    } else {
      this.flags.set(name, { enabled: false, actors: new Set() });
    }
    return this.get(name);
  }

  reset(): void {
    const flags = new Map<string, Gates>();
    const gatesOf = (name: string): Gates => {
      let g = flags.get(name);
      if (!g) {
        g = { enabled: FEATURE_FLAG_DEFAULTS[name] ?? false, actors: new Set() };
        flags.set(name, g);
      }
      return g;
    };
    for (const [name, enabled] of Object.entries(this.instance.feature_flags ?? {})) gatesOf(name).enabled = enabled;
    for (const user of this.instance.users) {
      for (const name of user.feature_flags ?? []) gatesOf(name).actors.add(user.username.toLowerCase());
    }
    this.flags = flags;
  }
}
