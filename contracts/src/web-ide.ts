/**
 * The Web IDE of seed 000 ("get a token and send it to model gateway using Mediator"): its
 * paths on a GitLab instance, the three ways its host page (the mediator) obtains an AI access
 * token, the postMessage protocol between the host page and the editor frame, and where the
 * editor frame is served from. The gitlab app serves it; the runner's stack and the browser
 * specs address it through these names.
 */

/** Paths of the Web IDE on a GitLab instance. */
export const WEB_IDE_PATH = {
  /** The host page, the mediator (server-rendered, signed-in session). */
  HOST: '/-/ide',
  /** The editor frame the host page embeds, addressed on the frame origin. */
  FRAME: '/-/ide/frame',
  /** Option 3: the IDE controller signs the AI access token for the signed-in session (CSRF on the POST). */
  TOKENS: '/-/ide/code_suggestions/tokens',
  /** Option 1: where /oauth/authorize sends the authorization code back (seed 000, option 1). */
  OAUTH_CALLBACK: '/oauth/ide/callback',
} as const;

/**
 * How the host page obtains the token (seed 000): `oauth-pkce` = option 1 (OAuth 2
 * authorization code + PKCE with the instance-wide Web IDE application, an opaque token),
 * `custom-endpoint` = option 2 (POST /api/v4/code_suggestions/tokens with session + CSRF, the
 * option GitLab chose), `ide-controller` = option 3 (POST /-/ide/code_suggestions/tokens).
 */
export const WEB_IDE_TOKEN_OPTIONS = ['oauth-pkce', 'custom-endpoint', 'ide-controller'] as const;
export type WebIdeTokenOption = (typeof WEB_IDE_TOKEN_OPTIONS)[number];
export const DEFAULT_WEB_IDE_TOKEN_OPTION: WebIdeTokenOption = 'custom-endpoint';
/** The query parameter of the host page that picks the option for one visit. */
export const WEB_IDE_TOKEN_OPTION_PARAM = 'token_option';

/** The seed-000 option number of each way. */
export const WEB_IDE_SEED_OPTION: Readonly<Record<WebIdeTokenOption, 1 | 2 | 3>> = {
  'oauth-pkce': 1,
  'custom-endpoint': 2,
  'ide-controller': 3,
};

/**
 * The messages the editor frame and the host page exchange with `postMessage`. Each side
 * sends only to the other's origin and reads only messages whose `event.origin` is the other's
 * and whose `event.source` is the other's window.
 * - frame -> host `{type: TOKEN_REQUEST, id}`: "I need a token" (at start, near expiry, after a 401);
 * - host -> frame `{type: TOKEN, id, accessToken, expiresAt, headers}`: `expiresAt` in epoch
 *   seconds by the browser's clock, `headers` the ones to send with it to the gateway
 *   (X-Gitlab-Authentication-Type and the headers bound to the token's claims);
 * - host -> frame `{type: TOKEN_ERROR, id, message}`: why no token came (shown to the user).
 */
export const WEB_IDE_MESSAGE = {
  TOKEN_REQUEST: 'gitlab-web-ide:token-request',
  TOKEN: 'gitlab-web-ide:token',
  TOKEN_ERROR: 'gitlab-web-ide:token-error',
} as const;

/** The frame asks for a new token this long before the one it holds expires. */
export const WEB_IDE_TOKEN_REFRESH_MARGIN_SECONDS = 60;

/**
 * The default origin of the editor frame for an instance URL: the same port on the other
 * loopback name (127.0.0.1 <-> localhost, [::1] -> localhost), so the frame is cross-origin and
 * its postMessage origin checks are real without any DNS set-up. Any other host gets its own
 * origin (same-origin frame): set the frame origin explicitly there.
 */
export function webIdeFrameOrigin(instanceUrl: string): string {
  const url = new URL(instanceUrl);
  const other: Record<string, string> = { '127.0.0.1': 'localhost', localhost: '127.0.0.1', '[::1]': 'localhost' };
  const hostname = other[url.hostname] ?? url.hostname;
  return `${url.protocol}//${hostname}${url.port ? `:${url.port}` : ''}`;
}

/**
 * Whether `value` is a serialised web origin (RFC 6454 §6.2): `http(s)://host[:port]`, in
 * the form browsers send in `Origin` and `event.origin` (lower-case host, no default port, no
 * path, no trailing '/'), so a configured origin can be compared with them as a string.
 */
export function isSerializedOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return /^https?:$/.test(url.protocol) && url.origin === value;
  } catch {
    return false;
  }
}
