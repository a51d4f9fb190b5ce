import type { HttpClient, HttpRequest, HttpResponse } from '../runner/types.js';
import { entries, parseForms } from './html-forms.js';
import { UserAgent, UserAgentError } from './user-agent.js';

const AS = 'https://as.example';
const CALLBACK = 'https://client.example/cb';

describe('parseForms', () => {
  it('builds the entry list a browser would submit: hidden and filled fields, checked boxes only, the pressed button', () => {
    const html = `<form id="f" method="POST" action="/session">
      <input type="hidden" name="authenticity_token" value="t0k">
      <input name="user[login]"><input type="password" name="user[password]">
      <input type="checkbox" name="remember" value="1"><input type="checkbox" name="tos" checked>
      <select name="lang"><option value="en">English</option><option value="de" selected>Deutsch</option></select>
      <textarea name="note">hi</textarea><input name="off" value="x" disabled>
      <button type="button">Show password</button><button name="commit" value="in">Sign in</button>
    </form>`;
    const [form] = parseForms(html, `${AS}/users/sign_in`);
    expect(form).toMatchObject({ id: 'f', action: `${AS}/session`, method: 'post', passwordFields: ['user[password]'], textFields: ['user[login]'] });
    expect(form!.buttons).toEqual([{ name: 'commit', value: 'in', label: 'Sign in' }]);
    expect(entries(form!, { 'user[login]': 'alice', 'user[password]': 'pw' }, form!.buttons[0]).toString()).toBe(
      'authenticity_token=t0k&user%5Blogin%5D=alice&user%5Bpassword%5D=pw&tos=on&lang=de&note=hi&commit=in',
    );
  });

  it('resolves a missing action to the page and treats an unknown method as GET', () => {
    const [form] = parseForms('<form method="dance"><input type="submit" value="Go"></form>', `${AS}/a?x=1`);
    expect(form).toMatchObject({ action: `${AS}/a?x=1`, method: 'get', buttons: [{ value: 'Go', label: 'Go' }] });
  });
});

/** An authorization server of canned pages: sign-in, then consent, then the redirect. */
function fakeServer(pages: (req: HttpRequest, cookie: string | undefined) => Partial<HttpResponse>): { http: HttpClient; seen: HttpRequest[] } {
  const seen: HttpRequest[] = [];
  const http: HttpClient = {
    baseUrl: AS,
    async request(req) {
      seen.push(req);
      const answer = pages(req, req.headers?.cookie);
      return { exchangeId: String(seen.length), status: 200, headers: {}, setCookies: [], text: '', json: undefined, durationMs: 0, request: `${req.method} ${req.path}`, ...answer };
    },
  };
  return { http, seen };
}

const SIGN_IN = `<form method="post" action="/login"><input name="login"><input type="password" name="password"><button>Sign in</button></form>`;
const CONSENT = `<form method="post" action="/consent"><input type="hidden" name="uid" value="u1"><button name="decision" value="deny">Deny</button><button name="decision" value="allow">Authorize</button></form>`;

function standardServer() {
  return fakeServer((req, cookie) => {
    const path = new URL(req.path).pathname;
    if (path === '/authorize') return cookie?.includes('sid=ok') ? { status: 200, text: CONSENT } : { status: 302, headers: { location: '/login' } };
    if (path === '/login' && req.method === 'GET') return { text: SIGN_IN };
    if (path === '/login') {
      const body = new URLSearchParams(req.body);
      return body.get('password') === 'pw' ? { status: 302, headers: { location: `${AS}/authorize?resume=1` }, setCookies: ['sid=ok; Path=/; HttpOnly'] } : { text: SIGN_IN };
    }
    if (path === '/consent') {
      const decision = new URLSearchParams(req.body).get('decision');
      return { status: 303, headers: { location: decision === 'allow' ? `${CALLBACK}?code=c&state=s&iss=${AS}` : `${CALLBACK}?error=access_denied&state=s` } };
    }
    return { status: 404, text: '<title>Not found</title>' };
  });
}

describe('UserAgent.authorize', () => {
  it('signs in, keeps the session cookie, approves, and stops at the redirect URI without requesting it', async () => {
    const { http, seen } = standardServer();
    const out = await new UserAgent(http).authorize(`${AS}/authorize?client_id=x`, CALLBACK, { username: 'alice', password: 'pw' });
    expect(out.callback.searchParams.get('code')).toBe('c');
    expect(out).toMatchObject({ signedIn: true, consented: true });
    expect(out.steps.map((s) => s.kind)).toEqual(['redirect', 'sign-in', 'redirect', 'consent', 'redirect']);
    expect(new URLSearchParams(seen.find((r) => r.path.endsWith('/login') && r.method === 'POST')!.body).get('login')).toBe('alice');
    expect(new URLSearchParams(seen.at(-1)!.body).get('decision')).toBe('allow');
    expect(seen.some((r) => r.path.startsWith(CALLBACK))).toBe(false);
  });

  it('presses the deny button when told to', async () => {
    const { http } = standardServer();
    const out = await new UserAgent(http).authorize(`${AS}/authorize`, CALLBACK, { username: 'alice', password: 'pw' }, 'deny');
    expect(out.callback.searchParams.get('error')).toBe('access_denied');
  });

  it('reports refused credentials and an error page instead of looping', async () => {
    const { http } = standardServer();
    await expect(new UserAgent(http).authorize(`${AS}/authorize`, CALLBACK, { username: 'alice', password: 'wrong' })).rejects.toThrow(/sign-in form again .*credentials were refused/);
    const error = await new UserAgent(http).authorize(`${AS}/nowhere`, CALLBACK, { username: 'a', password: 'b' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserAgentError);
    expect((error as UserAgentError).message).toContain('HTTP 404, page "Not found"');
  });
});
