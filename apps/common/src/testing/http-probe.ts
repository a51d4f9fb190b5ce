/**
 * Test support for HTTP hygiene over real sockets, shared by the apps' e2e specs: a raw
 * exchange on a net.Socket (a request may be sent in part and left hanging, which no HTTP client
 * allows), and the compiled entry point of an app started as its own process, its log lines kept.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { projectRoot } from '../../../../contracts/src/index.js';

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

export interface SpawnedApp {
  url: string;
  port: number;
  /** Every stdout line so far (the app's JSON logs). */
  lines: string[];
  stop(): Promise<void>;
}

/**
 * Starts `dist/apps/<app>/src/main.js` (build first, as `npm test` does) with a clean
 * environment plus `env`, and resolves once it logs `listening` with its URL.
 */
export async function spawnApp(app: string, args: string[], env: Record<string, string>): Promise<SpawnedApp> {
  const main = join(projectRoot(), 'dist', 'apps', app, 'src', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: build first with 'npx tsc -p tsconfig.build.json'`);
  const child: ChildProcess = spawn(process.execPath, [main, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  let partial = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      const parts = (partial + chunk.toString()).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts.filter(Boolean)) {
        lines.push(line);
        if (line.includes('"msg":"listening"')) resolve((JSON.parse(line) as { url: string }).url);
      }
    });
    child.once('exit', (code) => reject(new Error(`${app} exited with ${code} before listening: ${stderr}`)));
  });
  return {
    url,
    port: Number(new URL(url).port),
    lines,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
