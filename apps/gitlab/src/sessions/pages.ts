import { PATH } from '#contracts';

/** Minimal HTML pages of the emulated GitLab web UI (enough for browser tests and the Web IDE FE). */

/** The Content-Type the pages are sent with. */
export const HTML_CONTENT_TYPE = 'text/html; charset=utf-8';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, head: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)} · GitLab</title>
${head}</head>
<body>
${body}
</body>
</html>
`;
}

export function signInPage(error?: string): string {
  return page(
    'Sign in',
    '',
    `<h1>Sign in</h1>
${error ? `<p class="flash-alert" role="alert">${escapeHtml(error)}</p>\n` : ''}<form id="new_user" action="${PATH.GITLAB_SIGN_IN}" method="post">
<label for="user_login">Username</label>
<input type="text" name="user[login]" id="user_login" autocomplete="username" required>
<label for="user_password">Password</label>
<input type="password" name="user[password]" id="user_password" autocomplete="current-password" required>
<button type="submit" data-testid="sign-in-button">Sign in</button>
</form>`,
  );
}

/**
 * The signed-in home page. Like every GitLab page it publishes the session's CSRF token in
 * <meta name="csrf-token">, which is how the Web IDE FE obtains it for API calls.
 */
export function homePage(user: { username: string; name: string }, csrfToken: string): string {
  return page(
    'Home',
    `<meta name="csrf-param" content="authenticity_token">
<meta name="csrf-token" content="${escapeHtml(csrfToken)}">
`,
    `<h1>Welcome, <span data-testid="username">${escapeHtml(user.username)}</span></h1>
<p>${escapeHtml(user.name)}</p>
<form action="/users/sign_out" method="post">
<input type="hidden" name="authenticity_token" value="${escapeHtml(csrfToken)}">
<button type="submit" data-testid="sign-out-button">Sign out</button>
</form>`,
  );
}
