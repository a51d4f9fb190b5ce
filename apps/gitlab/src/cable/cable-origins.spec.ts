import { allowRequestOrigin } from './cable-origins.js';

describe('allowRequestOrigin (Action Cable request forgery protection)', () => {
  const allowed = ['https://gitlab.example.com', 'https://ide.example.net'];
  const http = { host: 'gitlab.local:3000', secure: false };

  it('allows the same origin as the Host header, with the request\'s scheme', () => {
    expect(allowRequestOrigin('http://gitlab.local:3000', http, [])).toBe(true);
    expect(allowRequestOrigin('https://gitlab.local:3000', http, [])).toBe(false);
    expect(allowRequestOrigin('https://gitlab.local:3000', { ...http, secure: true }, [])).toBe(true);
  });

  it('allows the listed origins exactly', () => {
    expect(allowRequestOrigin('https://ide.example.net', http, allowed)).toBe(true);
    expect(allowRequestOrigin('https://ide.example.net/', http, allowed)).toBe(false);
    expect(allowRequestOrigin('https://evil.example.com', http, allowed)).toBe(false);
  });

  it('refuses a request without Origin', () => {
    expect(allowRequestOrigin(undefined, http, allowed)).toBe(false);
    expect(allowRequestOrigin('', { host: undefined, secure: false }, allowed)).toBe(false);
  });
});
