import { createServer } from 'node:net';

export const LOOPBACK = '127.0.0.1';

/** Whether a TCP port can be bound on loopback right now. */
export function isPortFree(port: number, host = LOOPBACK): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const server = createServer();
    server.once('error', () => resolvePromise(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolvePromise(true)));
  });
}

/** A port the OS says is free on loopback (bound to 0, read, released). */
export function freePort(host = LOOPBACK): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolvePromise(port) : reject(new Error('could not read the port the OS chose'))));
    });
  });
}
