/**
 * What a load run is pointed at: the target profile (embedded.yaml, merged with --profile), the
 * roles it names by URL used as they are and the others started embedded by the runner's own
 * launcher, all of them on loopback. Gives the Locust side its URLs and credentials.
 */
import { join } from 'node:path';
import { ROLES, type Role } from '#contracts';
import { credentialsFor, externalRoles, loadTargetProfile, type TargetProfile } from '../../scenarios/runner/profile.js';
import { startStack, type RunningStack } from '../../scenarios/runner/stack/launcher.js';
import type { GitlabCredentials } from '../../scenarios/runner/types.js';
import { assertLoopback } from './loopback.js';

export interface LoadTargets {
  profile: TargetProfile;
  urls: Record<Role, string>;
  /** The control token of gitlab-saas: the embedded stack's, or the profile's control_token; undefined when neither. */
  saasControlToken: string | undefined;
  /** The OIDC issuer of gitlab-saas (profile `issuer`, else its URL). */
  saasIssuer: string;
  credentials(role: 'gitlab-saas' | 'gitlab-sm'): GitlabCredentials;
  /** Stops what was started (nothing for an all-external profile). */
  stop(): Promise<void>;
}

/** Reads the profile, refuses non-loopback URLs (before starting anything), starts the embedded roles. */
export async function prepareTargets(profileFile: string | undefined, reportsDir: string, progress: (message: string) => void): Promise<LoadTargets> {
  const profile = loadTargetProfile(profileFile ? { profileFile } : {});
  const external = externalRoles(profile);
  assertLoopback(Object.fromEntries(external.map((role) => [role, profile.roles[role].url])));
  const embedded = ROLES.filter((role) => !external.includes(role));
  let stack: RunningStack | undefined;
  if (embedded.length) {
    stack = await startStack({ roles: embedded, profile, ports: 'auto', logsDir: join(reportsDir, 'logs'), onProgress: progress });
  }
  const urls = Object.fromEntries(ROLES.map((role) => [role, profile.roles[role].url ?? stack!.url(role)!])) as Record<Role, string>;
  const saas = profile.roles['gitlab-saas'];
  return {
    profile,
    urls,
    saasControlToken: saas.url ? saas.control_token : stack?.controlToken,
    saasIssuer: saas.issuer ?? urls['gitlab-saas'],
    credentials: (role) => credentialsFor(profile, role),
    stop: async () => {
      await stack?.stop();
    },
  };
}
