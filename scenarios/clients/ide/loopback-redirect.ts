/**
 * The loopback redirect URI of a native app (RFC 8252 §7.3): an http listener on 127.0.0.1 that
 * waits for one authorization response at `/callback` and answers the browser with a short page.
 * The port is kept in the client's folder and reused when free, so a server that compares
 * redirect URIs exactly still matches the registered one; another port is taken when it is busy
 * (RFC 8252 §7.3 has servers accept any port on loopback).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const CALLBACK_PATH = '/callback';

export class LoopbackRedirect {
  private constructor(
    private readonly server: Server,
    readonly redirectUri: string,
    private readonly callback: Promise<URL>,
  ) {}

  /** Listens on the port stored in `folder` (or a free one, then stored). */
  static async open(folder: string): Promise<LoopbackRedirect> {
    const portFile = join(folder, 'loopback-port');
    const stored = Number((await readFile(portFile, 'utf8').catch(() => '0')).trim()) || 0;
    let deliver!: (url: URL) => void;
    const callback = new Promise<URL>((resolve) => (deliver = resolve));
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
      if (url.pathname !== CALLBACK_PATH) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end('<!doctype html><title>Signed in</title><p>You can close this window and return to your IDE.</p>');
      deliver(url);
    });
    const listen = (port: number) =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
    try {
      await listen(stored);
    } catch (e) {
      if (stored === 0 || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
      await listen(0);
    }
    const port = (server.address() as AddressInfo).port;
    if (port !== stored) {
      await mkdir(folder, { recursive: true, mode: 0o700 });
      await writeFile(portFile, `${port}\n`);
    }
    return new LoopbackRedirect(server, `http://127.0.0.1:${port}${CALLBACK_PATH}`, callback);
  }

  /** The first authorization response that reaches the listener, or a timeout error after `ms`. */
  async next(ms: number): Promise<URL> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no authorization response reached ${this.redirectUri} within ${ms} ms`)), ms);
    });
    try {
      return await Promise.race([this.callback, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
