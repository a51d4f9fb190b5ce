/**
 * A raw HTTP exchange on a net.Socket, for the apps' hygiene tests: a request may be sent in part
 * and left hanging, which no HTTP client allows.
 */
import { connect } from 'node:net';

export interface RawAnswer {
  /** Status of the first response, if one came. */
  status?: number;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  body: string;
  /** Whether the server closed the connection (false: the probe gave up and closed it). */
  closedByServer: boolean;
  /** Milliseconds from the last byte sent to the connection's end. */
  elapsedMs: number;
}

/**
 * Writes `request` (bytes as given, possibly an incomplete request) to host:port and collects
 * what comes back until the server closes the connection, or gives up after `giveUpMs`.
 */
export function rawExchange(port: number, request: string, giveUpMs = 15_000, host = '127.0.0.1'): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let sentAt = Date.now();
    let gaveUp = false;
    const socket = connect(port, host, () => {
      socket.write(request, () => (sentAt = Date.now()));
    });
    const timer = setTimeout(() => {
      gaveUp = true;
      socket.destroy();
    }, giveUpMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (e: NodeJS.ErrnoException) => {
      // A reset after the answer still counts as the server closing the connection.
      if (e.code !== 'ECONNRESET') reject(e);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ ...parseResponse(Buffer.concat(chunks).toString('utf8')), closedByServer: !gaveUp, elapsedMs: Date.now() - sentAt });
    });
  });
}

function parseResponse(raw: string): Pick<RawAnswer, 'status' | 'headers' | 'body'> {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return { headers: {}, body: raw };
  const [statusLine = '', ...lines] = raw.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  return { status: Number.isFinite(status) ? status : undefined, headers, body: raw.slice(end + 4) };
}
