import { join } from 'node:path';
import { projectRoot } from '#contracts';

/** Debian's Chromium, as install-chromium.sh installs it. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Chromium's flags for a headless run as root in a container: no sandbox (root cannot have
 * one), no GPU, and nothing that reaches out on its own (updates, sync, background requests,
 * QUIC), so the only traffic is the test's own, to loopback.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
] as const;

/** Where the browser specs write: reports, screenshots, the stack's logs. */
export const BROWSER_REPORTS = join(projectRoot(), 'reports', 'browser');

/** The script that installs Chromium when it is missing. */
export const INSTALL_CHROMIUM = join(projectRoot(), 'scenarios', 'browser', 'install-chromium.sh');
