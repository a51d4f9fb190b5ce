/**
 * Seed 003's IDE client in a real browser: the reference client as a command (the IDE client
 * protocol, scenarios/clients/ide/protocol.ts) signs in to the embedded GitLab with Chromium as
 * the user's browser. Its BROWSER hands the authorization URL to this spec; the user signs in on
 * GitLab's page and approves the dynamically registered client; the browser arrives at the
 * client's loopback redirect URI (RFC 8252 §7.3) and the client exchanges the code. Then the
 * client calls the API with its token and signs out, revoking it.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { PATH, projectRoot } from '#contracts';
import { IDE_CLIENT_ENV } from '../clients/ide/protocol.js';
import { browserStack } from './support/stack.js';
import { screenshot, signIn } from './support/web-ide.js';

const CLIENT = join(projectRoot(), 'dist', 'scenarios', 'clients', 'ide', 'reference-client.js');

/** Runs one action of the reference client; resolves with its exit code and output. */
function act(env: NodeJS.ProcessEnv, action: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLIENT, action], { env: { ...process.env, ...env } });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

test('the reference IDE client signs in through Chromium, calls the API with its token and signs out', async ({ page }, testInfo) => {
  const stack = browserStack();
  const folder = mkdtempSync(join(tmpdir(), 'ide-client-browser-'));
  try {
    // The user's browser: here it only hands the URL over, as a desktop would to Chromium.
    const handedOver = join(folder, 'authorization-url');
    const browser = join(folder, 'browser');
    writeFileSync(browser, `#!/bin/sh\nprintf '%s' "$1" > '${handedOver}'\n`);
    chmodSync(browser, 0o755);
    const env = {
      [IDE_CLIENT_ENV.ISSUER]: stack.gitlab,
      [IDE_CLIENT_ENV.HOME]: join(folder, 'home'),
      [IDE_CLIENT_ENV.RESOURCE_URL]: `${stack.gitlab}${PATH.GITLAB_USER}`,
      [IDE_CLIENT_ENV.BROWSER]: browser,
      // What an IDE that shows the user's name asks for; GitLab asks the user to consent to it.
      [IDE_CLIENT_ENV.SCOPE]: 'read_user',
    };

    const signingIn = act(env, 'sign-in');
    await expect.poll(() => existsSync(handedOver), { timeout: 20_000 }).toBe(true);
    const authorizationUrl = new URL(readFileSync(handedOver, 'utf8'));
    expect(authorizationUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorizationUrl.searchParams.get('state')).toBeTruthy();
    expect(authorizationUrl.searchParams.get('scope')).toBe('read_user');

    await signIn(page, stack);
    await page.goto(authorizationUrl.href);
    // A dynamically registered client is not trusted: GitLab asks the user.
    await expect(page.getByText('read_user')).toBeVisible();
    await screenshot(page, testInfo, 'ide-client-consent');
    await page.getByRole('button', { name: 'Authorize' }).click();
    await expect(page.getByText('You can close this window')).toBeVisible();
    expect(new URL(page.url()).hostname).toBe('127.0.0.1');

    const signedIn = await signingIn;
    expect(signedIn, signedIn.output).toMatchObject({ code: 0 });
    const called = await act(env, 'call');
    expect(called.output).toMatch(/resource answered 200/);
    expect(called.code).toBe(0);
    const signedOut = await act(env, 'sign-out');
    expect(signedOut.output).toMatch(/refresh token revoked true, access token revoked true/);
    // Signed out: the session is gone, so the next call asks for a new sign-in.
    expect((await act(env, 'call')).code).toBe(1);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});
