/**
 * Runs the IDE client under test (a target profile's `ide-client`, scenarios/clients/ide/protocol.ts)
 * for one user action, against one authorization server, with its own folder and the harness's
 * automatic browser. Output is kept bounded and with the tokens the server issued masked, since a
 * client may print them; a client that outlives its timeout (a loop, a hang) is stopped with
 * SIGTERM then SIGKILL and reported as timed out. Children are killed if the runner exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '#contracts';
import type { IdeClientProfile } from '../runner/profile.js';
import { IDE_CLIENT_ENV, type IdeClientAction } from '../clients/ide/protocol.js';

const OUTPUT_LIMIT = 16 * 1024;

/**
 * What the client inherits of the runner's environment: what a program needs to start and to
 * trust the machine's CAs, nothing the runner holds for itself (control tokens, CI secrets). A
 * client that needs more names it in the profile's `env`.
 */
const INHERITED = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'TERM', 'NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR'] as const;

function inheritedEnv(): Record<string, string> {
  return Object.fromEntries(INHERITED.flatMap((name) => (process.env[name] !== undefined ? [[name, process.env[name]!]] : [])));
}
const KILL_GRACE_MS = 2_000;

/** What one action of the client came to. */
export interface ActionOutcome {
  action: string;
  /** null when it was stopped (timed out) or died of a signal. */
  exitCode: number | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  durationMs: number;
}

const live = new Set<ChildProcess>();
let hooked = false;

/** Signals the client's whole process group: a shell's children (and a client's own helpers) go too. */
function signal(child: ChildProcess, sig: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, sig);
  } catch {
    // already gone
  }
}

function track(child: ChildProcess): void {
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const c of live) signal(c, 'SIGKILL');
    });
  }
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/** One IDE client installation: a fresh folder and a browser wrapper, removed by dispose(). */
export class IdeClientUnderTest {
  private constructor(
    readonly profile: IdeClientProfile,
    private readonly folder: string,
    readonly home: string,
    private readonly browser: string,
    private readonly deployment: { issuer: string; resourceUrl: string },
  ) {}

  static async install(profile: IdeClientProfile, deployment: { issuer: string; resourceUrl: string }): Promise<IdeClientUnderTest> {
    const folder = await mkdtemp(join(tmpdir(), 'ide-client-'));
    const home = join(folder, 'home');
    const browser = join(folder, 'browser');
    // BROWSER is one word (the convention splits it on spaces): a wrapper script, so no path needs quoting.
    const script = join(projectRoot(), 'dist', 'scenarios', 'clients', 'ide', 'auto-browser.js');
    await writeFile(browser, `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(script)} "$@"\n`);
    await chmod(browser, 0o755);
    return new IdeClientUnderTest(profile, folder, home, browser, deployment);
  }

  /** Runs `action` (with `args`) to its end, or stops it after the profile's timeout. */
  run(action: IdeClientAction, args: string[] = [], mask: readonly string[] = []): Promise<ActionOutcome> {
    const { command } = this.profile;
    const argv = typeof command === 'string' ? ['/bin/sh', '-c', `${command} "$@"`, 'ide-client', action, ...args] : [...command, action, ...args];
    const started = Date.now();
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: this.profile.cwd,
      env: {
        ...inheritedEnv(),
        ...this.profile.env,
        [IDE_CLIENT_ENV.ISSUER]: this.deployment.issuer,
        [IDE_CLIENT_ENV.HOME]: this.home,
        [IDE_CLIENT_ENV.RESOURCE_URL]: this.deployment.resourceUrl,
        [IDE_CLIENT_ENV.BROWSER]: this.browser,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so a timeout ends everything it started (a shell's child holds the pipes).
      detached: true,
    });
    if (child.pid !== undefined) track(child);
    const out = { stdout: '', stderr: '' };
    const collect = (key: 'stdout' | 'stderr') => (chunk: Buffer) => {
      if (out[key].length < OUTPUT_LIMIT) out[key] += chunk.toString('utf8').slice(0, OUTPUT_LIMIT - out[key].length);
    };
    child.stdout!.on('data', collect('stdout'));
    child.stderr!.on('data', collect('stderr'));
    return new Promise((resolve) => {
      let timedOut = false;
      let killer: NodeJS.Timeout | undefined;
      const timer = setTimeout(() => {
        timedOut = true;
        signal(child, 'SIGTERM');
        killer = setTimeout(() => signal(child, 'SIGKILL'), KILL_GRACE_MS);
      }, this.profile.timeoutMs);
      const finish = (exitCode: number | null, spawnError?: Error) => {
        clearTimeout(timer);
        clearTimeout(killer);
        resolve({
          action: [action, ...args].join(' '),
          exitCode,
          timedOut,
          stdout: masked(out.stdout, mask),
          stderr: masked(spawnError ? `${out.stderr}cannot start ${argv[0]}: ${spawnError.message}` : out.stderr, mask),
          durationMs: Date.now() - started,
        });
      };
      child.once('error', (e) => finish(null, e));
      child.once('close', (code) => finish(code));
    });
  }

  async dispose(): Promise<void> {
    await rm(this.folder, { recursive: true, force: true });
  }
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function masked(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join('[REDACTED]');
  return out.trim();
}
