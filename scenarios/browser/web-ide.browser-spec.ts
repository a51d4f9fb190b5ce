/**
 * Seed 000 in a browser: the Web IDE's editor frame asks the host page (the mediator) for a
 * token by postMessage, the host page obtains it by the option in force, and typing in the
 * editor shows the gateway's completion. Debian's Chromium, the embedded stack (global-setup.ts).
 */
import { expect, test } from '@playwright/test';
import { OAUTH_PATH, PATH, WEB_IDE_PATH, WEB_IDE_SEED_OPTION, type WebIdeTokenOption } from '#contracts';
import { browserStack } from './support/stack.js';
import { followReadme, gatewayCompletion, requestsTo, screenshot, typeInEditor } from './support/web-ide.js';

const TYPED = 'def fibonacci(n):\n    ';

/** The endpoint each option's page obtains its token from, and its success status. */
const TOKEN_ENDPOINT: Record<WebIdeTokenOption, { path: string; status: number }> = {
  'oauth-pkce': { path: OAUTH_PATH.TOKEN, status: 200 },
  'custom-endpoint': { path: PATH.GITLAB_CODE_SUGGESTIONS_TOKENS, status: 201 },
  'ide-controller': { path: WEB_IDE_PATH.TOKENS, status: 201 },
};

test.describe('the Web IDE, seed 000', () => {
  for (const option of ['oauth-pkce', 'custom-endpoint', 'ide-controller'] as const) {
    test(`option ${WEB_IDE_SEED_OPTION[option]} (${option}): open the IDE, sign in, type, see the gateway's suggestion (the README's walk-through)`, async ({ page }, testInfo) => {
      const stack = browserStack();
      // The gateway's own answer, obtained before the browser starts: its token request is not the browser's.
      const expected = await gatewayCompletion(stack, TYPED);
      const since = new Date().toISOString();
      // As the README's browser walk-through says: open the IDE, sign in when sent to, type.
      const editor = await followReadme(page, stack, option);

      const shown = await typeInEditor(editor, TYPED);
      expect(shown).not.toBe('');
      expect(shown).toBe(expected);

      // The token came from this option's endpoint, once, and the keystroke reached the gateway from the browser.
      const { path: endpoint, status } = TOKEN_ENDPOINT[option];
      const issued = await requestsTo(stack.gitlab, stack, endpoint, since);
      expect(issued.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([`POST ${endpoint} ${status}`]);
      for (const other of Object.values(TOKEN_ENDPOINT).filter((e) => e.path !== endpoint)) {
        expect(await requestsTo(stack.gitlab, stack, other.path, since)).toEqual([]);
      }
      const preflights = await requestsTo(stack.gateway, stack, PATH.GATEWAY_COMPLETIONS, since);
      expect(preflights.map((r) => `${r.method} ${r.status}`)).toEqual(expect.arrayContaining(['OPTIONS 200', 'POST 200']));
      // Option 1's token is opaque: the gateway asked GitLab about it (seed 000: "verifies the access_token with GitLab API").
      const backChannel = await requestsTo(stack.gitlab, stack, OAUTH_PATH.TOKEN_INFO, since);
      expect(backChannel.length > 0).toBe(option === 'oauth-pkce');

      await expect(page.getByTestId('mediator-log').locator('[data-kind="token"]')).toHaveCount(1);
      await screenshot(page, testInfo, `web-ide-option-${WEB_IDE_SEED_OPTION[option]}-${option}`);
    });
  }
});
