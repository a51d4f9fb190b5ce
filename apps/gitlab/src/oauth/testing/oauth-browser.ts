/**
 * Test support: a small browser for the authorization step against the gitlab app. It keeps
 * cookies (name=value, per the one origin under test), follows redirects by hand, fills in the
 * sign-in form and answers the consent form, and stops at the client's redirect URI without
 * requesting it. Every page it met is recorded, so tests can assert "no consent page".
 */
import { SIGN_IN_FIELDS } from '../../auth/strategies/password.strategy.js';
import { CSRF_FIELD } from '../pages.js';

export interface BrowserPage {
  /** `auto-post`: the engine's self-submitting form (its session ends when the GitLab user changed). */
  kind: 'sign-in' | 'consent' | 'auto-post' | 'error' | 'other';
  url: string;
  status: number;
}

export interface AuthorizationResult {
  /** The redirect to the client: its full URL (code or error, state, iss). */
  callback: URL;
  pages: BrowserPage[];
}

export class OAuthBrowser {
  private readonly cookies = new Map<string, string>();

  constructor(private readonly origin: string) {}

  /** The cookie header this browser sends. */
  get cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  /** Adds a cookie (e.g. a `_gitlab_session` obtained by signing in elsewhere). */
  setCookie(name: string, value: string): void {
    this.cookies.set(name, value);
  }

  async request(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
    const res = await fetch(new URL(url, this.origin), {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      redirect: 'manual',
      headers: { cookie: this.cookieHeader, ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}),
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';', 1);
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  /**
   * Opens `authorizationUrl` and goes on until a redirect leaves for `redirectUri`: signs in
   * with `credentials` on a sign-in page, presses `consent` on a consent page. Throws with the
   * pages met when it ends anywhere else.
   */
  async authorize(
    authorizationUrl: string,
    redirectUri: string,
    credentials: { username: string; password: string },
    consent: 'approve' | 'deny' = 'approve',
  ): Promise<AuthorizationResult> {
    const pages: BrowserPage[] = [];
    let res = await this.request(authorizationUrl);
    let url = authorizationUrl;
    for (let step = 0; step < 20; step++) {
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        const next = new URL(location, url);
        if (next.href.startsWith(redirectUri)) return { callback: next, pages };
        url = next.href;
        res = await this.request(url);
        continue;
      }
      const html = await res.text();
      const page = kindOf(html);
      pages.push({ kind: page, url, status: res.status });
      const csrf = hidden(html, CSRF_FIELD);
      if (page === 'sign-in') {
        const action = formAction(html, 'new_user');
        res = await this.request(action, { form: { [CSRF_FIELD]: csrf, [SIGN_IN_FIELDS.login]: credentials.username, [SIGN_IN_FIELDS.password]: credentials.password } });
        url = new URL(action, this.origin).href;
        continue;
      }
      if (page === 'consent') {
        const action = formAction(html, consent === 'approve' ? 'consent-approve' : 'consent-deny');
        res = await this.request(action, { form: { [CSRF_FIELD]: csrf } });
        url = new URL(action, this.origin).href;
        continue;
      }
      if (page === 'auto-post') {
        // What a browser's inline script does: submit the form with its hidden fields.
        const action = /<form method="post" action="([^"]+)"/.exec(html)![1]!.replace(/&amp;/g, '&');
        const fields = Object.fromEntries([...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
        res = await this.request(action, { form: fields });
        url = new URL(action, this.origin).href;
        continue;
      }
      throw new Error(`the authorization stopped at ${url} (${res.status}): ${JSON.stringify(pages)} ${html.slice(0, 300)}`);
    }
    throw new Error(`too many steps: ${JSON.stringify(pages)}`);
  }
}

function kindOf(html: string): BrowserPage['kind'] {
  if (html.includes('id="new_user"')) return 'sign-in';
  if (html.includes('id="consent-approve"')) return 'consent';
  if (html.includes('id="oauth-error"')) return 'error';
  if (html.includes('<title>Submitting Callback</title>')) return 'auto-post';
  return 'other';
}

function formAction(html: string, id: string): string {
  const match = new RegExp(`<form id="${id}" action="([^"]+)"`).exec(html);
  if (!match) throw new Error(`no form #${id}`);
  return match[1]!;
}

function hidden(html: string, name: string): string {
  return new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? '';
}
