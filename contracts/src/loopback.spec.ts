import { isLoopbackHost } from './loopback.js';

describe('isLoopbackHost', () => {
  it.each(['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]'])('accepts %s', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each(['10.0.0.1', '128.0.0.1', '0.0.0.0', '127.0.0.256', '127.0.0.1.example.com', 'localhost.example.com', '::2', '[::2]', '', '127.0.0'])('refuses %s', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });
});
