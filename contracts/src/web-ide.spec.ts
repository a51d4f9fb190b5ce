import { isSerializedOrigin, webIdeFrameOrigin } from './web-ide.js';

describe('Web IDE origins', () => {
  it('puts the frame on the other loopback name, same scheme and port', () => {
    expect(webIdeFrameOrigin('http://127.0.0.1:3001')).toBe('http://localhost:3001');
    expect(webIdeFrameOrigin('http://localhost:3001/')).toBe('http://127.0.0.1:3001');
    expect(webIdeFrameOrigin('http://[::1]:3000')).toBe('http://localhost:3000');
    expect(webIdeFrameOrigin('https://gitlab.example/gitlab')).toBe('https://gitlab.example');
  });

  it('knows a serialised origin from anything else', () => {
    for (const origin of ['http://localhost:3001', 'https://gitlab.example', 'http://[::1]:3000']) expect(isSerializedOrigin(origin)).toBe(true);
    for (const other of ['http://localhost:3001/', 'https://gitlab.example:443', 'http://Localhost:3001', 'http://x/path', 'ftp://x', '*', 'null', ''])
      expect([other, isSerializedOrigin(other)]).toEqual([other, false]);
  });
});
