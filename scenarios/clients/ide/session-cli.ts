/**
 * The IDE client protocol (protocol.ts) over seed 003's reference session manager
 * (scenarios/clients/oauth21): each action is one run of the command, the session's registration
 * and tokens kept in IDE_CLIENT_HOME (FileOAuthStore), the sign-in's authorization URL opened with
 * BROWSER and its response taken at a loopback redirect URI. `actions` may be replaced one by one
 * (the defect doubles of test/doubles replace one behaviour each). Nothing secret is printed.
 */
import { spawn } from 'node:child_process';
import { OAuthSessionManager, type Browser } from '../oauth21/session.js';
import { FileOAuthStore } from '../oauth21/store.js';
import { LoopbackRedirect } from './loopback-redirect.js';
import { IDE_CLIENT_ACTIONS, IDE_CLIENT_ENV, IDE_CLIENT_EXIT, type IdeClientAction } from './protocol.js';

/** How long a sign-in waits for the authorization response. */
const CALLBACK_TIMEOUT_MS = 60_000;

export interface IdeClientContext {
  issuer: string;
  home: string;
  resourceUrl: string | undefined;
  browserCommand: string | undefined;
  out: (line: string) => void;
}

export type IdeClientActions = {
  [A in IdeClientAction]: (ctx: IdeClientContext, session: OAuthSessionManager, redirect: LoopbackRedirect, args: string[]) => Promise<boolean>;
};

/** Runs BROWSER with the URL (through the shell, so BROWSER may carry arguments), resolving with the response the loopback listener got. */
export function systemBrowser(ctx: IdeClientContext, redirect: LoopbackRedirect): Browser {
  return async (authorizationUrl) => {
    if (!ctx.browserCommand) throw new Error(`${IDE_CLIENT_ENV.BROWSER} is not set: no browser to open the authorization URL with`);
    const child = spawn('/bin/sh', ['-c', `${ctx.browserCommand} "$1"`, 'browser', authorizationUrl.href], { stdio: ['ignore', 'ignore', 'inherit'] });
    const failed = new Promise<never>((_, reject) => {
      child.on('error', reject);
      child.on('exit', (code) => {
        if (code !== 0) reject(new Error(`the browser command exited with ${code} before the authorization response arrived`));
      });
    });
    failed.catch(() => undefined);
    return Promise.race([redirect.next(CALLBACK_TIMEOUT_MS), failed]);
  };
}

/** The reference client's behaviour for each action. */
export const REFERENCE_ACTIONS: IdeClientActions = {
  async 'sign-in'(ctx, session, redirect) {
    const tokens = await session.signIn(systemBrowser(ctx, redirect));
    ctx.out(`signed in to ${ctx.issuer}${tokens.expires_at ? ` (access token expires at ${new Date(tokens.expires_at * 1000).toISOString()})` : ''}`);
    return true;
  },
  async call(ctx, session, _redirect, args) {
    if (!ctx.resourceUrl) throw new Error(`${IDE_CLIENT_ENV.RESOURCE_URL} is not set`);
    const count = args[0] === undefined ? 1 : Number(args[0]);
    if (!Number.isInteger(count) || count < 1 || count > 64) throw new UsageError(`call N: N must be an integer from 1 to 64, got ${args[0]}`);
    const statuses = await Promise.all(
      Array.from({ length: count }, async () => {
        const res = await session.fetchWithAuth(ctx.resourceUrl!);
        await res.body?.cancel();
        return res.status;
      }),
    );
    ctx.out(`resource answered ${statuses.join(' ')}`);
    return statuses.every((s) => s >= 200 && s < 300);
  },
  async 'sign-out'(ctx, session) {
    const result = await session.signOut();
    ctx.out(`signed out: refresh token revoked ${result.refreshTokenRevoked}, access token revoked ${result.accessTokenRevoked}`);
    return result.refreshTokenRevoked && result.accessTokenRevoked;
  },
};

class UsageError extends Error {}

/**
 * Runs one action (`argv`: the action and its arguments) with the protocol's environment.
 * @returns the exit code (IDE_CLIENT_EXIT).
 */
export async function runIdeClient(argv: readonly string[], env: NodeJS.ProcessEnv, actions: IdeClientActions = REFERENCE_ACTIONS): Promise<number> {
  const [action, ...args] = argv;
  const issuer = env[IDE_CLIENT_ENV.ISSUER];
  const home = env[IDE_CLIENT_ENV.HOME];
  if (!action || !(IDE_CLIENT_ACTIONS as readonly string[]).includes(action)) {
    process.stderr.write(`usage: ${IDE_CLIENT_ACTIONS.join(' | ')} (got ${action ?? 'nothing'})\n`);
    return IDE_CLIENT_EXIT.USAGE;
  }
  if (!issuer || !home) {
    process.stderr.write(`${IDE_CLIENT_ENV.ISSUER} and ${IDE_CLIENT_ENV.HOME} must be set\n`);
    return IDE_CLIENT_EXIT.USAGE;
  }
  const ctx: IdeClientContext = { issuer, home, resourceUrl: env[IDE_CLIENT_ENV.RESOURCE_URL], browserCommand: env[IDE_CLIENT_ENV.BROWSER], out: (line) => process.stdout.write(`${line}\n`) };
  const redirect = await LoopbackRedirect.open(home);
  const scope = env[IDE_CLIENT_ENV.SCOPE];
  const session = new OAuthSessionManager({ issuer, store: new FileOAuthStore(home), redirectUri: redirect.redirectUri, clientName: 'ai-auth-harness IDE client', ...(scope ? { scope } : {}) });
  try {
    return (await actions[action as IdeClientAction](ctx, session, redirect, args)) ? IDE_CLIENT_EXIT.OK : IDE_CLIENT_EXIT.FAILED;
  } catch (e) {
    process.stderr.write(`${action} failed: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
    return e instanceof UsageError ? IDE_CLIENT_EXIT.USAGE : IDE_CLIENT_EXIT.FAILED;
  } finally {
    await redirect.close();
  }
}
