/**
 * GitLab's OAuth authorization server in a browser: the Web IDE's tokens refreshed on a
 * keystroke once they near expiry (seed 000 option 1), and a third-party application's consent
 * flow, approved and denied. Debian's Chromium, the embedded stack (global-setup.ts).
 */
import { expect, test } from '@playwright/test';
import { DEMO_THIRD_PARTY_OAUTH_CLIENT_ID, OAUTH_PATH, OAUTH_TOKEN, PATH, readDemoFixture } from '#contracts';
import { browserStack } from './support/stack.js';
import { followReadme, requestsTo, screenshot, signIn, typeInEditor } from './support/web-ide.js';

const thirdParty = readDemoFixture().saas.oauth_applications!.find((a) => a.client_id === DEMO_THIRD_PARTY_OAUTH_CLIENT_ID)!;
const REDIRECT_URI = thirdParty.redirect_uris[0]!;

test.describe('OAuth in the browser', () => {
  test('option 1: a keystroke after the access token nears expiry refreshes it, and the suggestion still comes', async ({ page }, testInfo) => {
    const stack = browserStack();
    await page.clock.install();
    const editor = await followReadme(page, stack, 'oauth-pkce');
    expect(await typeInEditor(editor, 'def a():\n    ')).not.toBe('');

    const since = new Date().toISOString();
    // Past the access token's life but for the editor's refresh margin: the next keystroke asks for a new one.
    await page.clock.fastForward((OAUTH_TOKEN.ACCESS_TOKEN_TTL_SECONDS - 30) * 1000);
    expect(await typeInEditor(editor, 'def b():\n    ')).not.toBe('');
    const refreshed = await requestsTo(stack.gitlab, stack, OAUTH_PATH.TOKEN, since);
    expect(refreshed.map((r) => `${r.method} ${r.status}`)).toEqual(['POST 200']);
    await expect(page.getByTestId('mediator-log').locator('[data-kind="refresh"]')).toHaveCount(1);
    await screenshot(page, testInfo, 'oauth-option-1-refreshed');
  });

  for (const answer of ['Authorize', 'Deny'] as const) {
    test(`a third-party application asks for consent; the user presses ${answer}`, async ({ page }, testInfo) => {
      const stack = browserStack();
      // The application's redirect URI is not served: the browser's arrival there is what the test reads.
      let callback: URL | undefined;
      await page.route(`${new URL(REDIRECT_URI).origin}/**`, async (route) => {
        callback = new URL(route.request().url());
        await route.fulfill({ status: 200, contentType: 'text/html', body: '<title>Third-party application</title><p>Back at the application</p>' });
      });
      await signIn(page, stack);
      const query = new URLSearchParams({
        client_id: thirdParty.client_id,
        redirect_uri: REDIRECT_URI,
        response_type: 'code',
        scope: 'read_user',
        state: 'third-party-state',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
      });
      await page.goto(`${stack.gitlab}${OAUTH_PATH.AUTHORIZE}?${query}`);
      await expect(page.getByText(thirdParty.name)).toBeVisible();
      await expect(page.getByText('read_user')).toBeVisible();
      await screenshot(page, testInfo, 'oauth-consent-third-party');
      await page.getByRole('button', { name: answer }).click();
      await expect(page).toHaveTitle('Third-party application');

      expect(callback!.searchParams.get('state')).toBe('third-party-state');
      expect(callback!.searchParams.get('iss')).toBe(stack.gitlab);
      if (answer === 'Deny') {
        expect(callback!.searchParams.get('error')).toBe('access_denied');
        return;
      }
      // The application's back end exchanges the code with its secret (RFC 7636 appendix B's verifier) and calls the API as the user.
      const token = await fetch(`${stack.gitlab}${OAUTH_PATH.TOKEN}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${thirdParty.client_id}:${thirdParty.secret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: callback!.searchParams.get('code')!, redirect_uri: REDIRECT_URI, code_verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk' }),
      });
      expect(token.status).toBe(200);
      const { access_token: accessToken, scope } = (await token.json()) as { access_token: string; scope: string };
      expect(scope).toBe('read_user');
      const user = await fetch(`${stack.gitlab}${PATH.GITLAB_USER}`, { headers: { authorization: `Bearer ${accessToken}` } });
      expect(user.status).toBe(200);
      expect(((await user.json()) as { username: string }).username).toBe('saas-developer');
    });
  }
});
