/**
 * The authorization server's server-rendered pages: sign-in and consent of one authorization
 * (`/oauth/interaction/{uid}`), and the error page shown instead of a redirect (an unregistered
 * redirect URI, an unknown client). Plain HTML forms with stable ids and labels, usable by a
 * person and by Playwright; every form carries an `authenticity_token` (CSRF).
 */
import { OAUTH_PATH } from '#contracts';
import { SIGN_IN_FIELDS } from '../auth/strategies/password.strategy.js';
import { escapeHtml } from '../sessions/pages.js';

export { HTML_CONTENT_TYPE } from '../sessions/pages.js';

/** The consent and sign-in forms' CSRF field (Rails' `authenticity_token`). */
export const CSRF_FIELD = 'authenticity_token';

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)} · GitLab</title>
</head>
<body>
${body}
</body>
</html>
`;
}

const csrfInput = (token: string) => `<input type="hidden" name="${CSRF_FIELD}" value="${escapeHtml(token)}">`;

/** Sign-in for an authorization; the same field names and ids as GitLab's /users/sign_in form. */
export function interactionSignInPage(uid: string, clientName: string, csrfToken: string, error?: string): string {
  return page(
    'Sign in',
    `<h1>Sign in</h1>
<p id="oauth-client">to continue to <strong>${escapeHtml(clientName)}</strong></p>
${error ? `<p class="flash-alert" role="alert">${escapeHtml(error)}</p>\n` : ''}<form id="new_user" action="${OAUTH_PATH.INTERACTION}/${escapeHtml(uid)}/login" method="post">
${csrfInput(csrfToken)}
<label for="user_login">Username</label>
<input type="text" name="${SIGN_IN_FIELDS.login}" id="user_login" autocomplete="username" required>
<label for="user_password">Password</label>
<input type="password" name="${SIGN_IN_FIELDS.password}" id="user_password" autocomplete="current-password" required>
<button type="submit" id="sign-in-button" data-testid="sign-in-button">Sign in</button>
</form>`,
  );
}

/** GitLab's "Authorize X to use your account?" page, listing the scopes asked for. */
export function consentPage(uid: string, clientName: string, username: string, scopes: readonly string[], csrfToken: string): string {
  return page(
    'Authorize application',
    `<h1 id="consent-title">Authorize <strong>${escapeHtml(clientName)}</strong> to use your account?</h1>
<p>Signed in as <span data-testid="username">${escapeHtml(username)}</span>. This application will be able to:</p>
<ul id="oauth-scopes">
${scopes.map((s) => `<li data-scope="${escapeHtml(s)}">${escapeHtml(s)}</li>`).join('\n')}
</ul>
<form id="consent-approve" action="${OAUTH_PATH.INTERACTION}/${escapeHtml(uid)}/confirm" method="post">
${csrfInput(csrfToken)}
<button type="submit" id="authorize-button" data-testid="authorization-button">Authorize</button>
</form>
<form id="consent-deny" action="${OAUTH_PATH.INTERACTION}/${escapeHtml(uid)}/abort" method="post">
${csrfInput(csrfToken)}
<button type="submit" id="deny-button" data-testid="deny-button">Deny</button>
</form>`,
  );
}

/** An error shown to the user instead of redirecting (RFC 6749 §4.1.2.1: never redirect to an unverified URI). */
export function errorPage(error: string, description: string): string {
  return page(
    'An error has occurred',
    `<h1>An error has occurred</h1>
<p id="oauth-error" data-error="${escapeHtml(error)}">${escapeHtml(error)}</p>
<p id="oauth-error-description">${escapeHtml(description)}</p>`,
  );
}
