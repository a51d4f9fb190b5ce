/**
 * The browser side of GitLab sign-in, as the Web IDE front end experiences it (seed 000
 * option 2, "authorise the user via session"): sign in with the form, keep the session
 * cookie, read the CSRF token from the page's <meta name="csrf-token">, and send both with
 * state-changing API calls. Works against the emulator and against a real GitLab (the
 * form's authenticity_token is sent back when the page has one).
 */
import { PATH, SESSION_COOKIE } from '#contracts';
import { fail } from '../checks/expect.js';
import type { HttpClient } from '../runner/types.js';

export interface BrowserSession {
  /** Value for the Cookie header. */
  cookie: string;
  csrfToken: string;
}

function attribute(html: string, pattern: RegExp): string | undefined {
  return pattern.exec(html)?.[1];
}

function sessionCookieFrom(setCookies: string[]): string | undefined {
  for (const c of setCookies) {
    const [pair] = c.split(';');
    if (pair?.startsWith(`${SESSION_COOKIE}=`)) return pair;
  }
  return undefined;
}

export async function signIn(gitlab: HttpClient, login: string, password: string): Promise<BrowserSession> {
  const form = await gitlab.request({ method: 'GET', path: PATH.GITLAB_SIGN_IN, label: 'GET sign-in page' });
  const authenticityToken = attribute(form.text, /name="authenticity_token"\s+value="([^"]+)"/);
  const preSession = sessionCookieFrom(form.setCookies);

  const post = await gitlab.request({
    method: 'POST',
    path: PATH.GITLAB_SIGN_IN,
    form: {
      'user[login]': login,
      'user[password]': password,
      ...(authenticityToken ? { authenticity_token: authenticityToken } : {}),
    },
    ...(preSession ? { headers: { Cookie: preSession } } : {}),
    label: 'sign in (form)',
  });
  const cookie = sessionCookieFrom(post.setCookies);
  if (post.status !== 302 || !cookie) {
    fail(`signing in as ${login} did not start a session: expected 302 with a ${SESSION_COOKIE} cookie`, {
      expected: { status: 302, cookie: SESSION_COOKIE },
      actual: { status: post.status, setCookie: post.setCookies.length ? '(cookies set, none named ' + SESSION_COOKIE + ')' : 'none' },
      res: post,
    });
  }
  const page = await gitlab.request({ method: 'GET', path: '/', headers: { Cookie: cookie }, label: 'GET / (page with csrf-token)' });
  const csrfToken = attribute(page.text, /<meta\s+name="csrf-token"\s+content="([^"]+)"/);
  if (!csrfToken) {
    fail('the signed-in page has no <meta name="csrf-token">, which the Web IDE front end needs for API calls', {
      expected: '<meta name="csrf-token" content="...">',
      actual: { status: page.status },
      res: page,
    });
  }
  return { cookie, csrfToken };
}
