/**
 * From scenarios and profile to the targets of a run: which embedded roles must be started
 * (the scenarios' roles plus what an embedded role needs), and each role's resolved target.
 */
import { ROLES, type Role } from '#contracts';
import { DEFAULT_JWKS_REFETCH_COOLDOWN_SECONDS, DEFAULT_OAUTH_CACHE_SECONDS, DEFAULT_TRUSTED_ISSUERS, type TargetProfile } from './profile.js';
import { RecordingControlClient } from './recording/http-client.js';
import type { ExchangeRecorder } from './recording/recorder.js';
import { START_ORDER, embeddedDependencies } from './stack/role-table.js';
import type { ResolvedTarget, ScenarioDefinition } from './types.js';

/** Every role the run involves: the scenarios' roles and, for embedded ones, their dependencies. */
export function rolesNeeded(scenarios: readonly ScenarioDefinition[], profile: TargetProfile): Role[] {
  const needed = new Set<Role>();
  const visit = (role: Role) => {
    if (needed.has(role)) return;
    needed.add(role);
    if (!profile.roles[role].url) for (const dep of embeddedDependencies(role, profile)) visit(dep);
  };
  for (const s of scenarios) for (const role of s.roles) visit(role);
  return START_ORDER.filter((r) => needed.has(r));
}

/** The needed roles the harness starts itself (no URL in the profile). */
export function rolesToStart(scenarios: readonly ScenarioDefinition[], profile: TargetProfile): Role[] {
  return rolesNeeded(scenarios, profile).filter((r) => !profile.roles[r].url);
}

/**
 * Targets of the run: every external role of the profile, and the embedded roles started.
 * An embedded role has the control API (the run's token); an external one when the profile
 * gives its control_token.
 */
export function resolveTargets(
  profile: TargetProfile,
  embedded: ReadonlyMap<Role, { url: string; logFile: string }>,
  controlToken: string | undefined,
  recorder: ExchangeRecorder,
): Map<Role, ResolvedTarget> {
  const targets = new Map<Role, ResolvedTarget>();
  for (const role of ROLES) {
    const external = profile.roles[role].url;
    const started = external ? undefined : embedded.get(role);
    const url = external ?? started?.url;
    if (!url) continue;
    const token = external ? profile.roles[role].control_token : controlToken;
    const issuer = (external && profile.roles[role].issuer) || url;
    const target: ResolvedTarget = { role, url, issuer, embedded: !external };
    const logFile = started?.logFile ?? (external ? profile.roles[role].log_file : undefined);
    if (logFile) target.logFile = logFile;
    if (role === 'ai-gateway') {
      target.trustedIssuers = profile.roles[role].trusted_issuers ?? DEFAULT_TRUSTED_ISSUERS;
      target.jwksRefetchCooldownSeconds = profile.roles[role].jwks_refetch_cooldown_seconds ?? DEFAULT_JWKS_REFETCH_COOLDOWN_SECONDS;
      target.oauthCacheSeconds = profile.roles[role].oauth_cache_seconds ?? DEFAULT_OAUTH_CACHE_SECONDS;
    }
    const issue = profile.roles[role].graphql_issue;
    if (issue && (role === 'gitlab-saas' || role === 'gitlab-sm')) target.graphqlIssue = { projectPath: issue.project_path, iid: issue.iid };
    if (token) {
      target.control = new RecordingControlClient({ recorder, role, baseUrl: url, token, timeoutMs: profile.options.timeoutMs });
    }
    targets.set(role, target);
  }
  return targets;
}
