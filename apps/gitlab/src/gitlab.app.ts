import { RequestLog, type RunningHttpApp, startHttpApp } from '../../common/src/index.js';
import type { GitlabConfig } from './config.js';
import { GitlabModule } from './gitlab.module.js';
import type { GitlabDeps } from './instance/core.module.js';
import { InstanceInfo } from './instance/instance-info.js';

/** Largest request body GitLab's API accepts here; above it Fastify answers 413. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

export interface RunningGitlab extends RunningHttpApp {
  /** The external URL (GITLAB_URL, or the bound loopback URL): the OIDC issuer. */
  issuer: string;
  requestLog: RequestLog;
}

/**
 * Builds the gitlab app, listens, and records the bound URL as the instance URL when GITLAB_URL
 * is not configured (PORT=0 is only known after listen). main.ts and the e2e tests share it.
 */
export async function startGitlab(config: GitlabConfig, deps: GitlabDeps): Promise<RunningGitlab> {
  const requestLog = deps.requestLog ?? new RequestLog();
  const running = await startHttpApp({
    module: GitlabModule.forRoot(config, { ...deps, requestLog }),
    logger: deps.logger,
    host: config.host,
    port: config.port,
    bodyLimit: BODY_LIMIT_BYTES,
    requestLog,
    timeouts: config.http,
  });
  const instance = running.app.get(InstanceInfo);
  instance.bindListeningUrl(running.url);
  return { ...running, issuer: instance.url, requestLog };
}
