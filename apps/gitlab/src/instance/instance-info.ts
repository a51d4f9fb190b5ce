import { GITLAB_REALM, type GitlabRealm } from '#contracts';
import type { GitlabMode } from '../config.js';

/**
 * Who this instance is: its mode, its instance id (fixture) and its external URL, which is
 * also the OIDC issuer and the `iss` of every token it mints. The URL is either configured
 * (GITLAB_URL) or known only once the server listens (PORT=0), hence one mutable holder that
 * everything reads instead of copies taken at start-up.
 */
export class InstanceInfo {
  private boundUrl: string | undefined;

  constructor(
    readonly mode: GitlabMode,
    readonly instanceId: string,
    private readonly configuredUrl: string | undefined,
  ) {}

  /** The external URL, without a trailing slash. */
  get url(): string {
    const url = this.configuredUrl ?? this.boundUrl;
    if (!url) throw new Error('InstanceInfo.url read before the server listened (call bindListeningUrl after listen)');
    return url;
  }

  /** Records the URL the server listens on; ignored when GITLAB_URL was configured. */
  bindListeningUrl(url: string): void {
    this.boundUrl = url.replace(/\/+$/, '');
  }

  /** The realm of tokens minted for this instance's own users. */
  get realm(): GitlabRealm {
    return this.mode === 'saas' ? GITLAB_REALM.SAAS : GITLAB_REALM.SELF_MANAGED;
  }
}
