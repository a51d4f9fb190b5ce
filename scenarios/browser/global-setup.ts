import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { mergeProfiles, readEmbeddedProfile } from '../runner/profile.js';
import { startStack, type RunningStack } from '../runner/stack/index.js';
import { BROWSER_REPORTS, INSTALL_CHROMIUM } from './support/paths.js';
import { BROWSER_ROLES, publishStack } from './support/stack.js';

/** The running stack, for global-teardown.ts (both run in the runner's process). */
export const STACK_KEY = Symbol.for('ai-auth-harness.browser-stack');

/**
 * Installs Chromium when it is missing (install-chromium.sh), then starts the embedded stack
 * on free loopback ports with the runner's launcher, exactly as a run starts it (compiled
 * apps: `npm run build` first). The gateway trusts the SaaS instance only.
 */
export default async function globalSetup(): Promise<void> {
  execFileSync('bash', [INSTALL_CHROMIUM], { stdio: 'inherit' });
  const stack = await startStack({
    roles: BROWSER_ROLES,
    profile: mergeProfiles(readEmbeddedProfile(), { roles: { 'ai-gateway': { trusted_issuers: ['gitlab-saas'] } } }),
    ports: 'auto',
    logsDir: join(BROWSER_REPORTS, 'logs'),
    onProgress: (message) => process.stdout.write(`${message}\n`),
  });
  (globalThis as Record<symbol, RunningStack>)[STACK_KEY] = stack;
  publishStack({ gitlab: stack.url('gitlab-saas')!, gateway: stack.url('ai-gateway')!, controlToken: stack.controlToken });
}
