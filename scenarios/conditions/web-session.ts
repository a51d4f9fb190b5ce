/**
 * Conditions on a GitLab instance's browser session, as a browser gets one (seed 000 options 1
 * and 3 start from it): sign in with the sign-in form, keep the `_gitlab_session` cookie, read
 * the session's CSRF token from a signed-in page. The harness needs no browser for it: the
 * form is posted with the profile's user (`credentials.user`, the embedded profile's
 * `demo_credentials.user`) and the cookie is carried by hand (clients/gitlab-session.ts).
 * Flows that need a signed-in user (the IDE controller, /oauth/authorize) use
 * `browserSessionOf(role)` (conditions/needs.ts) as their input, or `SignsInWithTheForm` when
 * the sign-in itself is a step to check.
 */
import { fail } from '../checks/expect.js';
import { signIn, type BrowserSession } from '../clients/gitlab-session.js';
import { condition, need, needFamily, type NeedEnv } from '../runner/condition.js';
import type { GitlabRole } from './needs.js';

export type { BrowserSession };

/** The user the profile signs in with; not applicable when the profile names none. */
export const signInUserOf = needFamily((role: GitlabRole) =>
  need<{ username: string; password: string }>(`the ${role} user to sign in with`, async (env) => {
    return env.credentials(role).user ?? env.notApplicable(`the target profile gives no ${role} user to sign in with (credentials.user: {username, password})`);
  }),
);

/** A new session of the profile's user, as a second browser (or a second tab after signing out) would hold. */
export async function anotherSessionOf(env: NeedEnv, role: GitlabRole): Promise<BrowserSession> {
  const user = await env.need(signInUserOf(role));
  return signIn(env.http('ide', role), user.username, user.password);
}

/**
 * Steps 1-6 of ide-controller-jwt.mmd: the sign-in form starts a session (302 with the session
 * cookie) and a signed-in page carries the session's CSRF token. Yields the session.
 */
export const SignsInWithTheForm = (role: GitlabRole) =>
  condition({
    name: 'EnsureSignInStartsSession',
    title: 'Signing in with the form (user[login], user[password], authenticity_token) answers 302 with a _gitlab_session cookie, and a signed-in page carries the session\'s CSRF token',
    needs: { user: signInUserOf(role) },
    async evaluate({ user }, env): Promise<BrowserSession> {
      const session = await signIn(env.http('ide', role), user.username, user.password);
      if (session.csrfToken.length < 16) {
        fail('the CSRF token of the signed-in page is too short to be unguessable', { expected: 'a random token of at least 16 characters', actual: { length: session.csrfToken.length } });
      }
      return session;
    },
  });
