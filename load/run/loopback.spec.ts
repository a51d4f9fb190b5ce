import { assertLoopback, isLoopbackUrl } from './loopback.js';

describe('loopback targets', () => {
  it.each(['http://127.0.0.1:5052', 'http://127.1.2.3', 'https://localhost:3000/', 'http://LOCALHOST', 'http://[::1]:8080'])('accepts %s', (url) => {
    expect(isLoopbackUrl(url)).toBe(true);
  });

  it.each(['http://10.0.0.1:5052', 'http://128.0.0.1', 'http://127.0.0.1.example.com', 'http://localhost.example.com', 'http://[::2]', 'http://0.0.0.0', 'ftp://127.0.0.1', 'not a url', 'http://127.0.0.256'])(
    'refuses %s',
    (url) => {
      expect(isLoopbackUrl(url)).toBe(false);
    },
  );

  it('names every remote target and its role', () => {
    expect(() => assertLoopback({ 'ai-gateway': 'http://10.1.2.3:5052', 'gitlab-saas': 'http://127.0.0.1:3001', 'gitlab-sm': 'https://gitlab.example.com' })).toThrow(
      'load is sent to loopback targets only (127.0.0.0/8, localhost, [::1]); not to ai-gateway http://10.1.2.3:5052, gitlab-sm https://gitlab.example.com',
    );
    expect(() => assertLoopback({ 'ai-gateway': 'http://127.0.0.1:5052', 'fake-model': undefined })).not.toThrow();
  });
});
