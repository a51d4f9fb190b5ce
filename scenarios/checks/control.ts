/**
 * Checks that need an emulator's harness control API: minting validly signed tokens with
 * chosen claims, flipping feature flags, rotating keys, reading the traffic a role received.
 * When the role is an external implementation there is no such API and the check is SKIPPED
 * with the reason, never silently passed.
 */
import { USER_AGENT, type LoggedRequest, type Role } from '../../contracts/src/index.js';
import type { CheckScope, ControlClient, ScenarioContext } from '../runner/types.js';

export function requireControl(ctx: ScenarioContext, scope: CheckScope, role: Role, purpose: string): ControlClient {
  const target = ctx.target(role);
  if (!target.control) {
    return scope.skip(
      `${role} at ${target.url} is an external implementation without the harness control API, which this check needs to ${purpose}`,
    );
  }
  return target.control;
}

export interface MintedToken {
  token: string;
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

/**
 * A token signed by the issuer's own published key with chosen claims and header
 * parameters (null removes one), via POST /-/harness/tokens of the gitlab emulator.
 */
export async function mintToken(
  ctx: ScenarioContext,
  scope: CheckScope,
  issuer: Role,
  change: { claims?: Record<string, unknown>; header?: Record<string, unknown>; username?: string } = {},
): Promise<MintedToken> {
  const control = requireControl(ctx, scope, issuer, 'mint validly signed tokens with chosen claims');
  return control.call<MintedToken>('POST', '/-/harness/tokens', change);
}

/** Requests a role received on paths starting with one of the prefixes, not sent by the harness itself. */
export async function receivedRequests(control: ControlClient, pathPrefixes: string[]): Promise<LoggedRequest[]> {
  const all: LoggedRequest[] = [];
  for (const prefix of pathPrefixes) {
    const { requests } = await control.call<{ requests: LoggedRequest[] }>(
      'GET',
      `/-/harness/requests?path=${encodeURIComponent(prefix)}`,
    );
    all.push(...requests.filter((r) => !(r.userAgent ?? '').startsWith(`${USER_AGENT.HARNESS}/`)));
  }
  return all;
}

/**
 * Counts the requests received on the given paths while `action` runs. The role records a
 * request just after answering it, so the count is read again briefly until it settles.
 */
export async function countRequestsDuring(
  control: ControlClient,
  pathPrefixes: string[],
  action: () => Promise<void>,
  settle: { atLeast?: number; waitMs?: number } = {},
): Promise<number> {
  const before = (await receivedRequests(control, pathPrefixes)).length;
  await action();
  const deadline = Date.now() + (settle.waitMs ?? 300);
  let count = (await receivedRequests(control, pathPrefixes)).length - before;
  while (count < (settle.atLeast ?? Number.POSITIVE_INFINITY) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
    count = (await receivedRequests(control, pathPrefixes)).length - before;
  }
  return count;
}

export interface FlagState {
  name: string;
  enabled: boolean;
  actors: string[];
}

/** Puts a feature flag back exactly as it was read (boolean gate and actor gates). */
export async function restoreFlag(control: ControlClient, state: FlagState): Promise<void> {
  const path = `/-/harness/feature-flags/${state.name}`;
  if (state.actors.length) await control.call('PUT', path, { enabled: true, actors: state.actors });
  else await control.call('PUT', path, { enabled: false });
  if (state.enabled) await control.call('PUT', path, { enabled: true });
}

/** Runs `action` with a flag changed, then restores it as it was. */
export async function withFlag<T>(control: ControlClient, name: string, change: { enabled: boolean; actors?: string[] }, action: () => Promise<T>): Promise<T> {
  const before = await control.call<FlagState>('GET', `/-/harness/feature-flags/${name}`);
  await control.call('PUT', `/-/harness/feature-flags/${name}`, change);
  try {
    return await action();
  } finally {
    await restoreFlag(control, before);
  }
}
