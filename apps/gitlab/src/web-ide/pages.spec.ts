import { createHash } from 'node:crypto';
import { Script } from 'node:vm';
import { FRAME_SCRIPT, HOST_SCRIPT, STYLE } from './client/browser-scripts.js';
import { framePage, hostPage, jsonForScriptElement } from './pages.js';

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
const directives = (csp: string) => Object.fromEntries(csp.split('; ').map((d) => [d.slice(0, d.indexOf(' ')), d.slice(d.indexOf(' ') + 1)]));
/** The text of every inline <script> without a type, and of every <style>. */
const inline = (html: string, tag: 'script' | 'style') => [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1]!);
const configOf = (html: string) => JSON.parse(/<script type="application\/json" id="web-ide-config">([\s\S]*?)<\/script>/.exec(html)![1]!) as Record<string, unknown>;

const HOST = { user: { username: 'saas-developer' }, csrfToken: 'csrf"<&', tokenOption: 'ide-controller', hostOrigin: 'http://127.0.0.1:3001', frameOrigin: 'http://localhost:3001' } as const;

describe('the Web IDE pages', () => {
  it('are valid scripts once the token logic is embedded', () => {
    expect(() => new Script(HOST_SCRIPT)).not.toThrow();
    expect(() => new Script(FRAME_SCRIPT)).not.toThrow();
  });

  it('host page: its CSP allows exactly its own script and style, its own origin, the frame origin, and no framing', () => {
    const page = hostPage(HOST);
    const csp = directives(page.headers['content-security-policy']!);
    expect(inline(page.html, 'script')).toEqual([HOST_SCRIPT]);
    expect(inline(page.html, 'style')).toEqual([STYLE]);
    expect(csp).toEqual({
      'default-src': "'none'",
      'script-src': sha256(HOST_SCRIPT),
      'style-src': sha256(STYLE),
      'connect-src': "'self'",
      'frame-src': 'http://localhost:3001',
      'form-action': "'self'",
      'base-uri': "'none'",
      'frame-ancestors': "'none'",
    });
    expect(page.headers).toMatchObject({ 'cache-control': 'no-store', 'x-frame-options': 'DENY', 'content-type': 'text/html; charset=utf-8' });
  });

  it('host page: embeds the frame from its origin and publishes the CSRF token, escaped', () => {
    const { html } = hostPage(HOST);
    expect(html).toContain('src="http://localhost:3001/-/ide/frame"');
    expect(html).toContain('<meta name="csrf-token" content="csrf&#34;&#60;&#38;">');
    expect(configOf(html)).toMatchObject({
      tokenOption: 'ide-controller',
      hostOrigin: 'http://127.0.0.1:3001',
      frameOrigin: 'http://localhost:3001',
      endpoints: { customEndpoint: '/api/v4/code_suggestions/tokens', ideController: '/-/ide/code_suggestions/tokens' },
      authenticationTypeHeader: 'X-Gitlab-Authentication-Type',
      authenticationType: 'oidc',
    });
    expect(html).toContain('(seed 000, option 3)');
  });

  it('frame: only the host origin may frame it, and it may call only the gateway', () => {
    const page = framePage({ hostOrigin: 'http://127.0.0.1:3001', gatewayUrl: 'http://127.0.0.1:5052/base' });
    const csp = directives(page.headers['content-security-policy']!);
    expect(inline(page.html, 'script')).toEqual([FRAME_SCRIPT]);
    expect(csp).toMatchObject({ 'script-src': sha256(FRAME_SCRIPT), 'connect-src': 'http://127.0.0.1:5052', 'frame-ancestors': 'http://127.0.0.1:3001' });
    expect(page.headers).not.toHaveProperty('x-frame-options');
    expect(configOf(page.html)).toMatchObject({ hostOrigin: 'http://127.0.0.1:3001', gatewayUrl: 'http://127.0.0.1:5052/base', completionsPath: '/v2/code/completions' });
  });

  it('frame without a gateway: connects nowhere and says why (config gatewayUrl null)', () => {
    const page = framePage({ hostOrigin: 'http://127.0.0.1:3001', gatewayUrl: undefined });
    expect(directives(page.headers['content-security-policy']!)['connect-src']).toBe("'none'");
    expect(configOf(page.html).gatewayUrl).toBeNull();
    expect(FRAME_SCRIPT).toContain('(AI_GATEWAY_URL)');
  });

  it('keeps JSON inside its script element whatever the values', () => {
    const hostile = { a: '</script><script>alert(1)</script>', b: '<!--', c: 'a&b' };
    const text = jsonForScriptElement(hostile);
    expect(text).not.toMatch(/[<>&]/);
    expect(JSON.parse(text)).toEqual(hostile);
  });
});
