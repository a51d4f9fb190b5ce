/**
 * The scripts and style of the Web IDE's pages, as constant text: each page reads its settings
 * from a `<script type="application/json">` block, so the code itself never changes and the
 * pages' Content-Security-Policy allows exactly these scripts by their SHA-256 (pages.ts).
 * The token logic comes from token-logic.ts by source text (type-checked and unit-tested there).
 */
import { WEB_IDE_MESSAGE } from '#contracts';
import { authorizationResponse, base64url, boundHeaders, jwtClaims, needsNewToken, oauthTokenSet, tokenFromResponse, tokenReply } from './token-logic.js';

/** The id of the JSON block holding a page's settings. */
export const CONFIG_ELEMENT_ID = 'web-ide-config';

const MESSAGES = JSON.stringify(WEB_IDE_MESSAGE);

/**
 * Where option 1 keeps its state in the tab's sessionStorage (the host page's origin only):
 * the tokens, and the pending authorization (state, PKCE verifier, the page to return to)
 * between the redirect to /oauth/authorize and the callback.
 */
export const OAUTH_STORAGE = { TOKENS: 'gitlab-web-ide:oauth-tokens', PENDING: 'gitlab-web-ide:oauth-pending' } as const;
const STORAGE = JSON.stringify(OAUTH_STORAGE);

/**
 * The host page, seed 000's mediator. It embeds the editor frame and answers the frame's token
 * requests (only from the frame's origin and window) with a token it obtains by the option in
 * force, together with the headers to send to the gateway. It never shows a token; its log
 * (`data-testid="mediator-log"`) says what it did and what it ignored.
 */
export const HOST_SCRIPT = `
'use strict';
(() => {
  const jwtClaims = ${jwtClaims.toString()};
  const boundHeaders = ${boundHeaders.toString()};
  const tokenFromResponse = ${tokenFromResponse.toString()};
  const oauthTokenSet = ${oauthTokenSet.toString()};
  const needsNewToken = ${needsNewToken.toString()};
  const base64url = ${base64url.toString()};
  const MESSAGE = ${MESSAGES};
  const STORAGE = ${STORAGE};
  const config = JSON.parse(document.getElementById('${CONFIG_ELEMENT_ID}').textContent);
  const frame = document.getElementById('web-ide-frame');
  const logList = document.querySelector('[data-testid="mediator-log"]');
  const csrfToken = document.querySelector('meta[name="csrf-token"]').content;

  function log(text, kind) {
    const item = document.createElement('li');
    item.textContent = text;
    item.dataset.kind = kind;
    logList.append(item);
  }

  if (location.origin !== config.hostOrigin) {
    log('This page is at ' + location.origin + ', but the editor frame trusts only ' + config.hostOrigin + ': open ' + config.hostOrigin + location.pathname + location.search, 'error');
  }

  // Options 2 and 3: the session and its CSRF token buy a JWT; the headers the gateway binds
  // to its claims go with it, with the OIDC authentication type.
  async function fromTokenEndpoint(path) {
    const response = await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'X-CSRF-Token': csrfToken, Accept: 'application/json' },
    });
    const body = await response.json().catch(() => undefined);
    const result = tokenFromResponse(response.status, body);
    if ('error' in result) throw new Error('POST ' + path + ' answered ' + result.error);
    const claims = jwtClaims(result.accessToken) || {};
    return {
      accessToken: result.accessToken,
      expiresAt: Math.floor(Date.now() / 1000) + result.expiresIn,
      headers: Object.assign({ [config.authenticationTypeHeader]: config.authenticationType }, boundHeaders(claims, config.bindings)),
    };
  }

  // Option 1: an opaque OAuth access token of the instance-wide Web IDE application, obtained
  // by authorization code + PKCE (RFC 7636, S256) and kept with its refresh token in this tab's
  // sessionStorage; refreshed when near expiry (seed 000 option 1, "on autocomplete").
  const oauth = config.oauth;
  const readTokens = () => JSON.parse(sessionStorage.getItem(STORAGE.TOKENS) || 'null');
  const oauthHeld = (t) => ({ accessToken: t.accessToken, expiresAt: t.expiresAt, headers: { [config.authenticationTypeHeader]: oauth.authenticationType } });

  async function refresh(tokens) {
    const response = await fetch(oauth.tokenPath, {
      method: 'POST',
      credentials: 'omit',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refreshToken, client_id: oauth.clientId }),
    });
    const result = oauthTokenSet(response.status, await response.json().catch(() => undefined), Date.now(), tokens.refreshToken);
    if ('error' in result) throw new Error('refresh answered ' + result.error);
    sessionStorage.setItem(STORAGE.TOKENS, JSON.stringify(result));
    log('Refreshed the OAuth access token', 'refresh');
    return result;
  }

  async function authorize() {
    const random = (n) => base64url(crypto.getRandomValues(new Uint8Array(n)));
    const verifier = random(32);
    const challenge = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
    const state = random(16);
    sessionStorage.setItem(STORAGE.PENDING, JSON.stringify({ state, verifier, returnTo: location.pathname + location.search }));
    const query = new URLSearchParams({
      client_id: oauth.clientId,
      redirect_uri: oauth.redirectUri,
      response_type: 'code',
      scope: oauth.scope,
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    log('Redirecting to ' + oauth.authorizePath + ' (the trusted Web IDE application: no consent screen)', 'redirect');
    location.assign(oauth.authorizePath + '?' + query);
    // The page is leaving: the editor gets its token after the callback brings the browser back.
    return new Promise(() => {});
  }

  async function fromOAuth() {
    const tokens = readTokens();
    if (tokens && !needsNewToken(tokens, Date.now(), config.refreshMarginSeconds)) return oauthHeld(tokens);
    if (tokens && tokens.refreshToken) {
      try {
        return oauthHeld(await refresh(tokens));
      } catch (error) {
        log('No refresh: ' + error.message + '; signing in to the application again', 'error');
      }
    }
    sessionStorage.removeItem(STORAGE.TOKENS);
    return authorize();
  }

  const obtainers = {
    'oauth-pkce': fromOAuth,
    'custom-endpoint': () => fromTokenEndpoint(config.endpoints.customEndpoint),
    'ide-controller': () => fromTokenEndpoint(config.endpoints.ideController),
  };

  let pending;
  function obtain() {
    const obtainer = obtainers[config.tokenOption];
    if (!obtainer) return Promise.reject(new Error('token option ' + config.tokenOption + ' is not available on this page'));
    // Concurrent requests of the frame share one token request.
    pending = pending || obtainer().finally(() => { pending = undefined; });
    return pending;
  }

  window.addEventListener('message', (event) => {
    if (event.origin !== config.frameOrigin || event.source !== frame.contentWindow) {
      log('Ignored a message from ' + event.origin + ': only the editor frame at ' + config.frameOrigin + ' may ask for a token', 'ignored');
      return;
    }
    const request = event.data;
    if (!request || request.type !== MESSAGE.TOKEN_REQUEST || typeof request.id !== 'number') return;
    log('The editor asked for a token (' + config.tokenOption + ')', 'request');
    obtain().then(
      (token) => {
        log('Token sent to the editor, valid ' + Math.max(0, token.expiresAt - Math.floor(Date.now() / 1000)) + ' s', 'token');
        frame.contentWindow.postMessage(Object.assign({ type: MESSAGE.TOKEN, id: request.id }, token), config.frameOrigin);
      },
      (error) => {
        log('No token: ' + error.message, 'error');
        frame.contentWindow.postMessage({ type: MESSAGE.TOKEN_ERROR, id: request.id, message: error.message }, config.frameOrigin);
      },
    );
  });
})();
`;

/**
 * The editor frame, seed 000's Web IDE front end: on start and whenever its token is near
 * expiry (or the gateway answered 401) it asks the host page for one by postMessage, reads
 * only the host's answers, and on every edit calls the gateway's POST /v2/code/completions with
 * the token and the host's headers, showing the first choice's text.
 */
export const FRAME_SCRIPT = `
'use strict';
(() => {
  const needsNewToken = ${needsNewToken.toString()};
  const tokenReply = ${tokenReply.toString()};
  const MESSAGE = ${MESSAGES};
  const config = JSON.parse(document.getElementById('${CONFIG_ELEMENT_ID}').textContent);
  const editor = document.querySelector('[data-testid="editor"]');
  const suggestion = document.querySelector('[data-testid="suggestion"]');
  const status = document.querySelector('[data-testid="status"]');

  function show(state, text) {
    status.dataset.state = state;
    status.textContent = text;
  }

  const waiting = new Map();
  let nextId = 1;
  window.addEventListener('message', (event) => {
    if (event.origin !== config.hostOrigin || event.source !== window.parent) return;
    const reply = tokenReply(event.data, { token: MESSAGE.TOKEN, error: MESSAGE.TOKEN_ERROR });
    const waiter = reply && waiting.get(reply.id);
    if (!waiter) return;
    waiting.delete(reply.id);
    clearTimeout(waiter.timer);
    if ('error' in reply) waiter.reject(new Error(reply.error));
    else waiter.resolve(reply.token);
  });

  function askHost() {
    if (window.parent === window) return Promise.reject(new Error('Open the editor through the Web IDE page (' + config.hostOrigin + config.hostPath + '), which provides its token'));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error('No token from the Web IDE page at ' + config.hostOrigin + ' within ' + config.tokenTimeoutMs + ' ms'));
      }, config.tokenTimeoutMs);
      waiting.set(id, { resolve, reject, timer });
      window.parent.postMessage({ type: MESSAGE.TOKEN_REQUEST, id }, config.hostOrigin);
    });
  }

  let held;
  let asking;
  function token() {
    if (!needsNewToken(held, Date.now(), config.refreshMarginSeconds)) return Promise.resolve(held);
    asking = asking || askHost().then((t) => (held = t)).finally(() => { asking = undefined; });
    return asking;
  }

  function send(t, body, signal) {
    return fetch(config.gatewayUrl + config.completionsPath, {
      method: 'POST',
      signal,
      headers: Object.assign({ 'Content-Type': 'application/json', Authorization: 'Bearer ' + t.accessToken }, t.headers),
      body: JSON.stringify(body),
    });
  }

  let latest;
  async function complete() {
    if (latest) latest.abort();
    const controller = new AbortController();
    latest = controller;
    const cursor = editor.selectionStart;
    const body = {
      current_file: {
        file_name: config.fileName,
        language_identifier: config.language,
        content_above_cursor: editor.value.slice(0, cursor),
        content_below_cursor: editor.value.slice(cursor),
      },
      prompt_version: 1,
      telemetry: [],
      stream: false,
    };
    show('busy', 'Asking the AI gateway…');
    try {
      let response = await send(await token(), body, controller.signal);
      if (response.status === 401) {
        // A token the gateway no longer takes: one new token, one retry.
        held = undefined;
        response = await send(await token(), body, controller.signal);
      }
      const answer = await response.json().catch(() => undefined);
      if (controller !== latest) return;
      if (!response.ok) {
        suggestion.textContent = '';
        const reason = answer && (answer.error || answer.detail);
        show('error', 'The AI gateway answered ' + response.status + (typeof reason === 'string' ? ': ' + reason : ''));
        return;
      }
      const choice = answer && Array.isArray(answer.choices) ? answer.choices[0] : undefined;
      suggestion.textContent = choice && typeof choice.text === 'string' ? choice.text : '';
      show('suggestion', 'Suggestion from the AI gateway');
    } catch (error) {
      if (controller !== latest) return;
      suggestion.textContent = '';
      show('error', error.message);
    }
  }

  if (!config.gatewayUrl) {
    editor.disabled = true;
    show('error', 'Code suggestions are unavailable: this GitLab instance has no AI gateway URL (AI_GATEWAY_URL)');
    return;
  }
  editor.addEventListener('input', complete);
  // Seed 000, on initialisation: the editor obtains its token before the first keystroke.
  show('busy', 'Getting a token from the Web IDE page…');
  token().then(
    () => show('ready', 'Ready: type to get a suggestion'),
    (error) => show('error', error.message),
  );
})();
`;

/**
 * The page at the Web IDE application's redirect URI (/oauth/ide/callback): checks the
 * authorization response against the pending authorization of this tab (state, then iss, RFC
 * 9207), exchanges the code with the PKCE verifier at the token endpoint (a public client: no
 * secret), stores the tokens and sends the browser back to the Web IDE (seed 000 option 1:
 * "User is redirected to the /-/ide"). The code leaves the address bar at once.
 */
export const CALLBACK_SCRIPT = `
'use strict';
(async () => {
  const authorizationResponse = ${authorizationResponse.toString()};
  const oauthTokenSet = ${oauthTokenSet.toString()};
  const STORAGE = ${STORAGE};
  const config = JSON.parse(document.getElementById('${CONFIG_ELEMENT_ID}').textContent);
  const status = document.querySelector('[data-testid="status"]');
  const search = location.search;
  history.replaceState(null, '', location.pathname);
  const pending = JSON.parse(sessionStorage.getItem(STORAGE.PENDING) || 'null');
  sessionStorage.removeItem(STORAGE.PENDING);

  function fail(text) {
    status.dataset.state = 'error';
    status.textContent = text;
  }
  if (!pending) return fail('No sign-in to the Web IDE is in progress in this tab: open the Web IDE again.');
  const answer = authorizationResponse(search, { state: pending.state, issuer: config.issuer });
  if ('error' in answer) return fail('Authorization failed: ' + answer.error);
  const response = await fetch(config.tokenPath, {
    method: 'POST',
    credentials: 'omit',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: answer.code, redirect_uri: config.redirectUri, client_id: config.clientId, code_verifier: pending.verifier }),
  });
  const tokens = oauthTokenSet(response.status, await response.json().catch(() => undefined), Date.now());
  if ('error' in tokens) return fail('The token endpoint answered ' + tokens.error);
  sessionStorage.setItem(STORAGE.TOKENS, JSON.stringify(tokens));
  status.dataset.state = 'done';
  status.textContent = 'Signed in to the Web IDE application; back to the Web IDE…';
  location.replace(pending.returnTo);
})();
`;

/** The pages' one style sheet. */
export const STYLE = `
body { font-family: system-ui, sans-serif; margin: 1rem; color: #28272d; }
header { display: flex; gap: 1rem; align-items: baseline; }
h1 { font-size: 1.25rem; margin: 0 0 .5rem; }
iframe { width: 100%; height: 22rem; border: 1px solid #bfbfc3; border-radius: 4px; }
textarea { width: 100%; height: 12rem; font: 14px/1.4 ui-monospace, monospace; box-sizing: border-box; }
pre { background: #f0f0f5; padding: .5rem; min-height: 1.4em; white-space: pre-wrap; }
[data-state="error"], [data-kind="error"] { color: #c91c00; }
[data-kind="ignored"] { color: #9e5400; }
ol { font-size: .85rem; }
`;
