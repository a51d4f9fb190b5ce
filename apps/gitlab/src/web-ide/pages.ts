import { createHash } from 'node:crypto';
import {
  GATEWAY_SELF_ISSUER,
  HEADER,
  AUTHENTICATION_TYPE_OAUTH2,
  AUTHENTICATION_TYPE_OIDC,
  OAUTH_PATH,
  WEB_IDE_OAUTH_APPLICATION,
  INSTANCE_TOKEN_BINDINGS,
  PATH,
  USER_TOKEN_BINDINGS,
  WEB_IDE_PATH,
  WEB_IDE_SEED_OPTION,
  WEB_IDE_TOKEN_REFRESH_MARGIN_SECONDS,
  type WebIdeTokenOption,
} from '#contracts';
import { escapeHtml } from '../sessions/pages.js';
import { CALLBACK_SCRIPT, CONFIG_ELEMENT_ID, FRAME_SCRIPT, HOST_SCRIPT, STYLE } from './client/browser-scripts.js';
import type { BindingTable } from './client/token-logic.js';

/** A page and the response headers it must be served with. */
export interface RenderedPage {
  html: string;
  headers: Record<string, string>;
}

/** How long the editor waits for the host page's answer to a token request. */
export const TOKEN_TIMEOUT_MS = 10_000;
/** The file the editor edits (its name and language go to the gateway with every keystroke). */
export const EDITOR_FILE = { name: 'main.py', language: 'python' } as const;

/** CSP source of an inline script or style: its SHA-256 (CSP Level 3 §8.4), computed once. */
const hashSource = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
const HOST_SCRIPT_SOURCE = hashSource(HOST_SCRIPT);
const FRAME_SCRIPT_SOURCE = hashSource(FRAME_SCRIPT);
const CALLBACK_SCRIPT_SOURCE = hashSource(CALLBACK_SCRIPT);
const STYLE_SOURCE = hashSource(STYLE);

const BINDINGS: BindingTable = { selfIssuer: GATEWAY_SELF_ISSUER, instance: INSTANCE_TOKEN_BINDINGS, user: USER_TOKEN_BINDINGS };

/**
 * JSON for a `<script type="application/json">` block: `<`, `>` and `&` escaped, so no value
 * can close the element or open a comment (HTML §4.12.1.3).
 */
export function jsonForScriptElement(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

function document(title: string, head: string, body: string, script: string, config: unknown): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)} · GitLab</title>
${head}<style>${STYLE}</style>
</head>
<body>
${body}
<script type="application/json" id="${CONFIG_ELEMENT_ID}">${jsonForScriptElement(config)}</script>
<script>${script}</script>
</body>
</html>
`;
}

const csp = (directives: Record<string, string>) =>
  Object.entries(directives)
    .map(([name, value]) => `${name} ${value}`)
    .join('; ');

/** Headers every Web IDE page shares: never cached (the host page carries the CSRF token), no referrer beyond the origin. */
const PAGE_HEADERS = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'referrer-policy': 'same-origin', 'x-content-type-options': 'nosniff' };

export interface HostPageInput {
  user: { username: string };
  csrfToken: string;
  tokenOption: WebIdeTokenOption;
  hostOrigin: string;
  frameOrigin: string;
}

/**
 * The host page `/-/ide`: publishes the session's CSRF token (as every GitLab page), embeds
 * the editor frame from its own origin and runs the mediator (HOST_SCRIPT). Its CSP lets it
 * run only that script, call only its own origin, frame only the editor's origin, and be
 * framed by nobody.
 */
export function hostPage(input: HostPageInput): RenderedPage {
  const frameUrl = `${input.frameOrigin}${WEB_IDE_PATH.FRAME}`;
  const config = {
    tokenOption: input.tokenOption,
    hostOrigin: input.hostOrigin,
    frameOrigin: input.frameOrigin,
    endpoints: { customEndpoint: PATH.GITLAB_CODE_SUGGESTIONS_TOKENS, ideController: WEB_IDE_PATH.TOKENS },
    authenticationTypeHeader: HEADER.AUTHENTICATION_TYPE,
    authenticationType: AUTHENTICATION_TYPE_OIDC,
    bindings: BINDINGS,
    refreshMarginSeconds: WEB_IDE_TOKEN_REFRESH_MARGIN_SECONDS,
    // Option 1: the instance-wide Web IDE application (public client, PKCE, consent skipped).
    oauth: {
      clientId: WEB_IDE_OAUTH_APPLICATION.CLIENT_ID,
      scope: WEB_IDE_OAUTH_APPLICATION.SCOPES.join(' '),
      authorizePath: OAUTH_PATH.AUTHORIZE,
      tokenPath: OAUTH_PATH.TOKEN,
      redirectUri: webIdeRedirectUri(input.hostOrigin),
      authenticationType: AUTHENTICATION_TYPE_OAUTH2,
    },
  };
  const body = `<header>
<h1>Web IDE</h1>
<span>Signed in as <strong data-testid="username">${escapeHtml(input.user.username)}</strong></span>
<span>Token: <code data-testid="token-option">${escapeHtml(input.tokenOption)}</code> (seed 000, option ${WEB_IDE_SEED_OPTION[input.tokenOption]})</span>
</header>
<iframe id="web-ide-frame" data-testid="editor-frame" title="Editor" src="${escapeHtml(frameUrl)}" sandbox="allow-scripts allow-same-origin"></iframe>
<h2>Mediator</h2>
<ol data-testid="mediator-log"></ol>`;
  const head = `<meta name="csrf-param" content="authenticity_token">
<meta name="csrf-token" content="${escapeHtml(input.csrfToken)}">
`;
  return {
    html: document('Web IDE', head, body, HOST_SCRIPT, config),
    headers: {
      ...PAGE_HEADERS,
      'content-security-policy': csp({
        'default-src': "'none'",
        'script-src': HOST_SCRIPT_SOURCE,
        'style-src': STYLE_SOURCE,
        'connect-src': "'self'",
        'frame-src': input.frameOrigin,
        'form-action': "'self'",
        'base-uri': "'none'",
        'frame-ancestors': "'none'",
      }),
      'x-frame-options': 'DENY',
    },
  };
}

/** The Web IDE application's redirect URI on an instance (its registered `redirect_uri`). */
export function webIdeRedirectUri(instanceOrigin: string): string {
  return `${instanceOrigin}${WEB_IDE_PATH.OAUTH_CALLBACK}`;
}

export interface CallbackPageInput {
  /** The authorization server's issuer (the instance URL): the `iss` the answer must carry. */
  issuer: string;
  hostOrigin: string;
}

/**
 * The Web IDE application's redirect URI page `/oauth/ide/callback` (option 1): CALLBACK_SCRIPT
 * completes the authorization in the browser, which holds the PKCE verifier; the server never
 * sees it. The page may call only its own origin (the token endpoint) and is never framed.
 */
export function callbackPage(input: CallbackPageInput): RenderedPage {
  const config = {
    issuer: input.issuer,
    clientId: WEB_IDE_OAUTH_APPLICATION.CLIENT_ID,
    tokenPath: OAUTH_PATH.TOKEN,
    redirectUri: webIdeRedirectUri(input.hostOrigin),
  };
  const body = `<h1>Web IDE</h1>
<p data-testid="status" data-state="working" role="status">Completing the sign-in to the Web IDE application…</p>`;
  return {
    html: document('Web IDE', '<meta name="referrer" content="no-referrer">\n', body, CALLBACK_SCRIPT, config),
    headers: {
      ...PAGE_HEADERS,
      // The address carries the authorization code: it must not leak through a Referer.
      'referrer-policy': 'no-referrer',
      'content-security-policy': csp({
        'default-src': "'none'",
        'script-src': CALLBACK_SCRIPT_SOURCE,
        'style-src': STYLE_SOURCE,
        'connect-src': "'self'",
        'form-action': "'none'",
        'base-uri': "'none'",
        'frame-ancestors': "'none'",
      }),
      'x-frame-options': 'DENY',
    },
  };
}

export interface FramePageInput {
  hostOrigin: string;
  gatewayUrl: string | undefined;
}

/**
 * The editor frame `/-/ide/frame`: a text area, the suggestion and a status line, run by
 * FRAME_SCRIPT. Its CSP lets only the host page's origin frame it and lets it call only the AI
 * gateway's origin.
 */
export function framePage(input: FramePageInput): RenderedPage {
  const config = {
    hostOrigin: input.hostOrigin,
    hostPath: WEB_IDE_PATH.HOST,
    gatewayUrl: input.gatewayUrl ?? null,
    completionsPath: PATH.GATEWAY_COMPLETIONS,
    fileName: EDITOR_FILE.name,
    language: EDITOR_FILE.language,
    refreshMarginSeconds: WEB_IDE_TOKEN_REFRESH_MARGIN_SECONDS,
    tokenTimeoutMs: TOKEN_TIMEOUT_MS,
  };
  const body = `<label for="editor">${EDITOR_FILE.name}</label>
<textarea id="editor" data-testid="editor" spellcheck="false" autocomplete="off"></textarea>
<p data-testid="status" data-state="starting" role="status">Starting…</p>
<pre data-testid="suggestion" aria-label="Suggestion"></pre>`;
  return {
    html: document('Editor', '', body, FRAME_SCRIPT, config),
    headers: {
      ...PAGE_HEADERS,
      'content-security-policy': csp({
        'default-src': "'none'",
        'script-src': FRAME_SCRIPT_SOURCE,
        'style-src': STYLE_SOURCE,
        'connect-src': input.gatewayUrl ? new URL(input.gatewayUrl).origin : "'none'",
        'form-action': "'none'",
        'base-uri': "'none'",
        'frame-ancestors': input.hostOrigin,
      }),
    },
  };
}
