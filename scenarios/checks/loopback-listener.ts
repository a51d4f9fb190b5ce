/**
 * The stand-in servers scenarios start (a failing SaaS, the misbehaving authorization server of
 * ide-client-oauth) listen on a free port of 127.0.0.1 through this, and close with every open
 * connection, hanging ones included. (apps/common/src/testing/loopback.ts is the tests' twin; it is
 * not built into dist, which scenarios run from.)
 */
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoopbackListener {
  /** http://127.0.0.1:<port> */
  url: string;
  close(): Promise<void>;
}

export async function listenOnLoopback(listener: RequestListener): Promise<LoopbackListener> {
  const server = createServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
