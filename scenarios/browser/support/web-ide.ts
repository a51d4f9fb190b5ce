/**
 * What the browser specs do with the Web IDE: sign in through the form, open the host page
 * with a token option, type in the editor frame, and what they compare it with (the gateway's
 * own answer to the same request, the instances' request logs). Screenshots go to
 * reports/browser/ and into the test's results.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type FrameLocator, type Page, type TestInfo, expect } from '@playwright/test';
import {
  AUTHENTICATION_TYPE_OIDC,
  HEADER,
  type LoggedRequest,
  PATH,
  WEB_IDE_TOKEN_OPTION_PARAM,
  type WebIdeTokenOption,
  boundHeaderValues,
} from '#contracts';
import { projectRoot } from '#contracts';
import { BROWSER_REPORTS } from './paths.js';
import { type BrowserStack, DEMO } from './stack.js';

/** The file the editor edits (the gitlab app's EDITOR_FILE): what its keystrokes tell the gateway. */
const EDITOR_FILE = { name: 'main.py', language: 'python' };

export async function signIn(page: Page, stack: BrowserStack, user: { username: string; password: string } = DEMO.developer): Promise<void> {
  await page.goto(`${stack.gitlab}${PATH.GITLAB_SIGN_IN}`);
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByTestId('sign-in-button').click();
  await expect(page.getByTestId('username')).toHaveText(user.username);
}

/** A README browser walk-through: the address to open and who signs in. */
export interface ReadmeWalkthrough {
  /** As written: on the default port 3001. */
  url: string;
  username: string;
  password: string;
}

/**
 * Reads the browser paragraph of the README's walk-through of `option` ("In a browser: open
 * `<url>`, sign in as `<user>` / `<password>`"): option 1's and option 3's sections have their
 * own; option 2 follows option 3's with its own `token_option`.
 */
export function readmeBrowserWalkthrough(option: WebIdeTokenOption): ReadmeWalkthrough {
  const readme = readFileSync(join(projectRoot(), 'README.md'), 'utf8');
  const heading = `## Walk-through: seed 000, option ${option === 'oauth-pkce' ? 1 : 3}`;
  const start = readme.indexOf(heading);
  const section = readme.slice(start, readme.indexOf('\n## ', start + 3));
  const found = /In a browser: open `([^`]+)`,?\s+(?:and\s+)?sign in as\s+`([^`]+)` \/ `([^`]+)`/.exec(section);
  if (start < 0 || !found) throw new Error(`README: "${heading}" has no "In a browser: open \`<url>\`, sign in as \`<user>\` / \`<password>\`" paragraph`);
  return { url: found[1]!, username: found[2]!, password: found[3]! };
}

/**
 * The walk-through as a person follows it: open the IDE's address (on this stack's port, with
 * `option`), get sent to the sign-in form, sign in, land back in the IDE with its first token.
 */
export async function followReadme(page: Page, stack: BrowserStack, option: WebIdeTokenOption): Promise<FrameLocator> {
  const walkthrough = readmeBrowserWalkthrough(option);
  const url = new URL(walkthrough.url);
  url.host = new URL(stack.gitlab).host;
  url.searchParams.set(WEB_IDE_TOKEN_OPTION_PARAM, option);
  await page.goto(url.href);
  await expect(page).toHaveURL(`${stack.gitlab}${PATH.GITLAB_SIGN_IN}`);
  await page.getByLabel('Username').fill(walkthrough.username);
  await page.getByLabel('Password').fill(walkthrough.password);
  await page.getByTestId('sign-in-button').click();
  await expect(page).toHaveURL(url.href);
  return editorReady(page, option);
}

async function editorReady(page: Page, option: WebIdeTokenOption): Promise<FrameLocator> {
  await expect(page.getByTestId('token-option')).toHaveText(option);
  const editor = page.frameLocator('[data-testid="editor-frame"]');
  await expect(editor.getByTestId('status')).toHaveAttribute('data-state', 'ready');
  return editor;
}


/** Types `text` into the editor (one input event, the cursor at the end) and waits for a suggestion. */
export async function typeInEditor(editor: FrameLocator, text: string): Promise<string> {
  await editor.getByTestId('editor').fill(text);
  await expect(editor.getByTestId('status')).toHaveAttribute('data-state', 'suggestion');
  return (await editor.getByTestId('suggestion').textContent()) ?? '';
}

/**
 * The gateway's completion for what the editor sends after `text` was typed, obtained outside
 * the browser with a token of option 2 (the developer's ai_features token): the fake model is
 * deterministic, so the browser must show exactly this.
 */
export async function gatewayCompletion(stack: BrowserStack, text: string): Promise<string> {
  const minted = await fetch(`${stack.gitlab}${PATH.GITLAB_CODE_SUGGESTIONS_TOKENS}`, {
    method: 'POST',
    headers: { [HEADER.AUTHORIZATION]: `Bearer ${DEMO.aiFeaturesPat}` },
  });
  expect(minted.status).toBe(201);
  const token = ((await minted.json()) as { access_token: string }).access_token;
  const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
  const res = await fetch(`${stack.gateway}${PATH.GATEWAY_COMPLETIONS}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [HEADER.AUTHORIZATION]: `Bearer ${token}`,
      [HEADER.AUTHENTICATION_TYPE]: AUTHENTICATION_TYPE_OIDC,
      ...boundHeaderValues(claims),
    },
    body: JSON.stringify({
      current_file: { file_name: EDITOR_FILE.name, language_identifier: EDITOR_FILE.language, content_above_cursor: text, content_below_cursor: '' },
      prompt_version: 1,
      telemetry: [],
      stream: false,
    }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { choices: Array<{ text: string }> }).choices[0]!.text;
}

/** What a role answered on exactly `path` since `since` (its harness request log). */
export async function requestsTo(baseUrl: string, stack: BrowserStack, path: string, since: string): Promise<LoggedRequest[]> {
  const query = new URLSearchParams({ path, since });
  const res = await fetch(`${baseUrl}${PATH.HARNESS_CONTROL_PREFIX}/requests?${query}`, { headers: { [HEADER.HARNESS_CONTROL]: stack.controlToken } });
  expect(res.status).toBe(200);
  // The log's filter is a prefix (/oauth/token also finds /oauth/token/info): keep this path only.
  return ((await res.json()) as { requests: LoggedRequest[] }).requests.filter((r) => r.path.split('?', 1)[0] === path);
}

/** A full-page screenshot saved as reports/browser/<name>.png and attached to the test's results. */
export async function screenshot(page: Page, testInfo: TestInfo, name: string): Promise<string> {
  mkdirSync(BROWSER_REPORTS, { recursive: true });
  const path = join(BROWSER_REPORTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: 'image/png' });
  return path;
}
