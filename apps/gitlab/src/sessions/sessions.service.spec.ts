import { SessionsService, csrfTokenMatches } from './sessions.service.js';
import { escapeHtml, homePage } from './pages.js';

describe('SessionsService', () => {
  it('creates unguessable sessions with their own CSRF token', () => {
    const sessions = new SessionsService({ now: () => 0 });
    const a = sessions.create(1);
    const b = sessions.create(1);
    expect(a.id).toMatch(/^[0-9a-f]{64}$/);
    expect(a.id).not.toBe(b.id);
    expect(a.session.csrfToken).not.toBe(b.session.csrfToken);
    expect(sessions.get(a.id)).toBe(a.session);
  });

  it('forgets a session once it expires', () => {
    let now = 1000;
    const sessions = new SessionsService({ now: () => now }, 500);
    const { id } = sessions.create(1);
    now = 1499;
    expect(sessions.get(id)).toBeDefined();
    now = 1500;
    expect(sessions.get(id)).toBeUndefined();
  });

  it('clears every session', () => {
    const sessions = new SessionsService({ now: () => 0 });
    const { id } = sessions.create(1);
    sessions.reset();
    expect(sessions.get(id)).toBeUndefined();
  });

  it('matches only the session\'s own CSRF token', () => {
    const { session } = new SessionsService({ now: () => 0 }).create(1);
    expect(csrfTokenMatches(session, session.csrfToken)).toBe(true);
    expect(csrfTokenMatches(session, `${session.csrfToken}x`)).toBe(false);
    expect(csrfTokenMatches(session, undefined)).toBe(false);
  });

  it('publishes the CSRF token in the page\'s meta tag, escaped', () => {
    expect(homePage({ username: 'alice', name: '<b>' }, 'tok"en')).toContain('<meta name="csrf-token" content="tok&#34;en">');
    expect(escapeHtml(`<a href='x'>&</a>`)).toBe('&#60;a href=&#39;x&#39;&#62;&#38;&#60;/a&#62;');
  });
});
