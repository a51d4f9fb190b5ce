/**
 * A scripted browser for the authorization step of OAuth flows (RFC 6749 §4.1.1-4.1.2), as the
 * OpenID Foundation's conformance suite drives an authorization server's pages: it follows
 * redirects with a cookie jar (tough-cookie, RFC 6265), signs in through the first form with a
 * password field, answers a consent form with the button a person would press, and stops at
 * the client's redirect URI without requesting it, handing back the authorization response.
 * Server-rendered HTML forms only: a page that needs JavaScript to sign in is reported as such.
 * Every request goes through the scenario's recording client, so the exchange appears in the
 * report and in the observed sequence diagram.
 */
import { CookieJar } from 'tough-cookie';
import type { HttpClient, HttpResponse } from '../runner/types.js';
import { type HtmlForm, type SubmitButton, entries, parseForms } from './html-forms.js';

export interface Credentials {
  username: string;
  password: string;
}

/** What the user does on the consent page. */
export type ConsentAnswer = 'approve' | 'deny';

/** One page or redirect the user agent met, for failure messages and the report. */
export interface UserAgentStep {
  /** `redirect`, `sign-in`, `consent`, or `page` for anything else. */
  kind: 'redirect' | 'sign-in' | 'consent' | 'page';
  url: string;
  status: number;
}

export interface AuthorizationOutcome {
  /** The redirect to the client's redirect URI: its full URL (query: code or error, state, iss). */
  callback: URL;
  steps: UserAgentStep[];
  /** Whether the server showed a sign-in form / a consent form on the way. */
  signedIn: boolean;
  consented: boolean;
}

/** Why the user agent could not reach the redirect URI; `steps` says how far it got. */
export class UserAgentError extends Error {
  constructor(
    message: string,
    readonly steps: UserAgentStep[],
    readonly last?: HttpResponse,
  ) {
    super(message);
  }
}

const APPROVE = /\b(authori[sz]e|allow|approve|accept|consent|continue|grant|yes)\b/i;
const DENY = /\b(deny|cancel|reject|decline|no)\b/i;
const USERNAME = /(login|user|email)/i;
/** Redirects plus pages per authorization: a sign-in, a consent and their redirects fit many times over. */
const MAX_STEPS = 20;

export class UserAgent {
  readonly jar = new CookieJar();

  constructor(private readonly http: HttpClient) {}

  /** GET `url` with the jar's cookies (redirects not followed), storing what it sets. */
  async get(url: string, label?: string): Promise<HttpResponse> {
    return this.send(url, 'GET', undefined, label);
  }

  /** Submits `form` as a browser would, with `values` and the pressed `button`. */
  async submit(form: HtmlForm, values: Record<string, string>, button: SubmitButton | undefined, label?: string): Promise<HttpResponse> {
    const body = entries(form, values, button);
    if (form.method === 'get') {
      const target = new URL(form.action);
      target.search = body.toString();
      return this.send(target.href, 'GET', undefined, label);
    }
    return this.send(form.action, 'POST', body.toString(), label);
  }

  /**
   * Opens `authorizationUrl` and goes on as the user would until the server redirects to a URL
   * starting with `redirectUri` (compared as strings, scheme to path), which is not requested.
   * Signs in with `credentials` when a password form appears; answers a consent form with
   * `consent`. Throws UserAgentError on a page it cannot get past (an error page of the
   * server, for an unregistered redirect URI, is such a page).
   */
  async authorize(authorizationUrl: string, redirectUri: string, credentials: Credentials, consent: ConsentAnswer = 'approve'): Promise<AuthorizationOutcome> {
    const steps: UserAgentStep[] = [];
    let signedIn = false;
    let consented = false;
    let res = await this.get(authorizationUrl, 'GET /oauth/authorize (browser)');
    let url = authorizationUrl;
    for (let i = 0; i < MAX_STEPS; i++) {
      const location = res.headers.location;
      if (res.status >= 300 && res.status < 400 && location) {
        steps.push({ kind: 'redirect', url, status: res.status });
        const next = new URL(location, url).href;
        if (next.startsWith(redirectUri)) return { callback: new URL(next), steps, signedIn, consented };
        url = next;
        res = await this.get(url);
        continue;
      }
      const forms = res.status === 200 ? parseForms(res.text, url) : [];
      const signIn = forms.find((f) => f.passwordFields.length > 0);
      if (signIn && !signedIn) {
        steps.push({ kind: 'sign-in', url, status: res.status });
        signedIn = true;
        const userField = signIn.textFields.find((n) => USERNAME.test(n)) ?? signIn.textFields[0];
        if (!userField) throw new UserAgentError(`the sign-in form at ${url} has no user name field`, steps, res);
        res = await this.submit(signIn, { [userField]: credentials.username, [signIn.passwordFields[0]!]: credentials.password }, signIn.buttons[0], 'sign in (form)');
        url = signIn.action;
        continue;
      }
      const choice = consentChoice(forms, consent);
      if (choice && !consented) {
        steps.push({ kind: 'consent', url, status: res.status });
        consented = true;
        res = await this.submit(choice.form, {}, choice.button, consent === 'approve' ? 'consent: authorize' : 'consent: deny');
        url = choice.form.action;
        continue;
      }
      steps.push({ kind: 'page', url, status: res.status });
      throw new UserAgentError(describePage(res, url, signIn !== undefined && signedIn), steps, res);
    }
    throw new UserAgentError(`no redirect to ${redirectUri} after ${MAX_STEPS} pages and redirects`, steps, res);
  }

  private async send(url: string, method: 'GET' | 'POST', body: string | undefined, label?: string): Promise<HttpResponse> {
    const cookie = await this.jar.getCookieString(url);
    const res = await this.http.request({
      method,
      path: url,
      headers: {
        accept: 'text/html,application/xhtml+xml',
        ...(cookie ? { cookie } : {}),
        ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(body !== undefined ? { body } : {}),
      ...(label ? { label } : {}),
    });
    for (const set of res.setCookies) await this.jar.setCookie(set, url, { ignoreError: true });
    return res;
  }
}

/** The form and button a person answering `consent` presses, when the page has one. */
function consentChoice(forms: HtmlForm[], consent: ConsentAnswer): { form: HtmlForm; button: SubmitButton } | undefined {
  const wanted = consent === 'approve' ? APPROVE : DENY;
  const other = consent === 'approve' ? DENY : APPROVE;
  for (const form of forms) {
    const button = form.buttons.find((b) => wanted.test(`${b.label} ${b.value} ${b.name ?? ''}`) && !other.test(b.label));
    if (button) return { form, button };
  }
  return undefined;
}

function describePage(res: HttpResponse, url: string, signInAgain: boolean): string {
  if (signInAgain) return `the server showed its sign-in form again at ${url} (HTTP ${res.status}): the credentials were refused`;
  const title = /<title>([^<]*)<\/title>/i.exec(res.text)?.[1]?.trim();
  const json = res.json as { error?: string; error_description?: string } | undefined;
  const what = json?.error ? `error ${json.error}${json.error_description ? ` (${json.error_description})` : ''}` : title ? `page "${title}"` : 'a page';
  return `stopped at ${url}: HTTP ${res.status}, ${what}, with no redirect, sign-in form or consent button to follow`;
}
