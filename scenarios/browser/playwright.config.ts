/**
 * Playwright drives Debian's Chromium (/usr/bin/chromium, installed by install-chromium.sh,
 * which the global set-up runs; never `npx playwright install`) through the Web IDE of the
 * embedded stack, started on free ports by the runner's own launcher in global-setup.ts and
 * stopped in global-teardown.ts. Run with `npm run test:browser` (it builds first); `npm test` runs them after Jest.
 * Reports, screenshots and the stack's logs go to reports/browser/.
 */
import { defineConfig } from '@playwright/test';
import { BROWSER_REPORTS, CHROMIUM_ARGS, CHROMIUM_PATH } from './support/paths.js';

export default defineConfig({
  testDir: '.',
  testMatch: '**/*.browser-spec.ts',
  globalSetup: './global-setup.ts',
  globalTeardown: './global-teardown.ts',
  outputDir: `${BROWSER_REPORTS}/test-results`,
  reporter: [['list'], ['junit', { outputFile: `${BROWSER_REPORTS}/junit.xml` }], ['html', { outputFolder: `${BROWSER_REPORTS}/html`, open: 'never' }]],
  // One stack serves every spec, and specs read its request logs: one at a time.
  workers: 1,
  fullyParallel: false,
  forbidOnly: true,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: { executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
  },
});
