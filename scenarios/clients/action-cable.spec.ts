import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { CABLE_PATH } from '#contracts';
import { CableConnection, cableUrl, isRefusal } from './action-cable.js';

/** A tiny ActionCable server: welcome, then per subscription what `answer` says; 401 for token "refused". */
function cableServer(answer: (identifier: { query?: string }, socket: WebSocket, id: string) => void): Promise<{ url: string; server: Server; seen: { headers: Record<string, unknown>; protocol: string }[] }> {
  const seen: { headers: Record<string, unknown>; protocol: string }[] = [];
  const server = createServer();
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    if (req.url !== CABLE_PATH || req.headers.authorization === 'Bearer refused') {
      socket.end('HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      seen.push({ headers: req.headers, protocol: ws.protocol });
      if (req.headers.authorization === 'Bearer disconnect') {
        ws.send(JSON.stringify({ type: 'disconnect', reason: 'unauthorized', reconnect: false }));
        ws.close();
        return;
      }
      ws.send(JSON.stringify({ type: 'welcome' }));
      ws.send(JSON.stringify({ type: 'ping', message: 1 }));
      ws.on('message', (raw) => {
        const frame = JSON.parse(String(raw)) as { command: string; identifier: string };
        if (frame.command === 'subscribe') answer(JSON.parse(frame.identifier) as { query?: string }, ws, frame.identifier);
      });
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, seen })));
}

describe('ActionCable client of the checks', () => {
  let stop: (() => void) | undefined;
  afterEach(() => stop?.());

  it('derives ws:// and wss:// URLs of /-/cable', () => {
    expect(cableUrl('http://127.0.0.1:3001')).toBe('ws://127.0.0.1:3001/-/cable');
    expect(cableUrl('https://gitlab.example/')).toBe('wss://gitlab.example/-/cable');
  });

  it('sends the token and the actioncable subprotocol, keeps messages sent before the confirmation, ignores pings', async () => {
    const { url, server, seen } = await cableServer((identifier, ws, id) => {
      ws.send(JSON.stringify({ identifier: id, message: { result: { data: {} }, more: true } }));
      ws.send(JSON.stringify({ identifier: id, type: 'confirm_subscription' }));
      ws.send(JSON.stringify({ identifier: id, message: { result: { data: { echo: identifier.query } }, more: true } }));
    });
    stop = () => server.close();
    const connection = await CableConnection.open(url, { headers: { Authorization: 'Bearer glpat-x' }, timeoutMs: 2000 });
    if (isRefusal(connection)) throw new Error(connection.detail);
    const subscription = await connection.subscribe({ query: 'subscription { x }' }, 2000);
    expect(subscription.outcome).toBe('confirmed');
    expect(await subscription.waitFor((m) => m.length === 2, 2000)).toBe(true);
    expect(subscription.messages[1]).toEqual({ result: { data: { echo: 'subscription { x }' } }, more: true });
    expect(JSON.parse(subscription.identifier)).toMatchObject({ channel: 'GraphqlChannel', query: 'subscription { x }', variables: {} });
    expect(seen[0]!.headers.authorization).toBe('Bearer glpat-x');
    expect(seen[0]!.protocol).toBe('actioncable-v1-json');
    expect(connection.frames.some((f) => f.type === 'ping')).toBe(false);
    connection.close();
  });

  it('reports reject_subscription, a refused upgrade, a disconnect before the welcome, and no answer', async () => {
    const { url, server } = await cableServer((identifier, ws, id) => {
      if (identifier.query === 'reject') ws.send(JSON.stringify({ identifier: id, type: 'reject_subscription' }));
    });
    stop = () => server.close();
    const refused = await CableConnection.open(url, { headers: { Authorization: 'Bearer refused' }, timeoutMs: 2000 });
    expect(refused).toMatchObject({ kind: 'refused', status: 401 });
    const disconnected = await CableConnection.open(url, { headers: { Authorization: 'Bearer disconnect' }, timeoutMs: 2000 });
    expect(disconnected).toMatchObject({ kind: 'refused', reason: 'unauthorized' });
    const connection = await CableConnection.open(url, { timeoutMs: 2000 });
    if (isRefusal(connection)) throw new Error(connection.detail);
    expect((await connection.subscribe({ query: 'reject' }, 2000)).outcome).toBe('rejected');
    expect((await connection.subscribe({ query: 'silence' }, 200)).outcome).toBe('no-answer');
    connection.close();
  });
});
