/**
 * What checks do through an emulator's harness control API (the typed client of
 * contracts/src/control-client.ts): mint validly signed tokens with chosen claims, publish and
 * withdraw signing keys, flip feature flags, read the traffic a role received. Every change
 * registers its own undo with the check (ConditionEnv.restore), so the system is put back
 * whether the check passes or fails.
 */
import { type ControlResource, type FeatureFlagState, type MintedToken, type MintTokenRequest, USER_AGENT, type LoggedRequest } from '#contracts';
import type { ConditionEnv } from '../runner/condition.js';
import type { ControlClient } from '../runner/types.js';

export type { MintedToken } from '#contracts';

/** Claims and header members replaced or added (null removes one), another published key, another user. */
export type MintChange = MintTokenRequest;

/** A token signed by the issuer's own published key with chosen claims and header (POST /-/harness/tokens). */
export function mint(control: ControlClient, change: MintChange = {}): Promise<MintedToken> {
  return control.mintToken(change);
}

/**
 * Publishes a new signing key and makes it the active one; the check's restore re-activates
 * the key that was active and withdraws the new one, so no later check sees it.
 */
export async function rotateSigningKey(env: ConditionEnv, control: ControlClient): Promise<string> {
  return (await rotateSigningKeyFrom(env, control)).kid;
}

/** rotateSigningKey, also saying which key was active before. */
export async function rotateSigningKeyFrom(env: ConditionEnv, control: ControlClient): Promise<{ kid: string; previous: string }> {
  const { active } = await control.signingKeys();
  const { kid } = await control.addSigningKey({ activate: true });
  env.restore(`the signing keys of ${control.role} (re-activate ${active}, withdraw ${kid})`, () => withdrawKey(control, kid, active));
  return { kid, previous: active };
}

/** Re-activates `reactivate` and unpublishes `kid`, if that is not done yet (a check may withdraw a key itself). */
export async function withdrawKey(control: ControlClient, kid: string, reactivate: string): Promise<void> {
  const { active, keys } = await control.signingKeys();
  if (active !== reactivate) await control.activateSigningKey(reactivate);
  if (keys.some((k) => k.kid === kid)) await control.removeSigningKey(kid);
}

/** Requests a role received on paths starting with one of the prefixes, not sent by the harness itself. */
export async function receivedRequests(control: ControlClient, pathPrefixes: readonly string[]): Promise<LoggedRequest[]> {
  const all: LoggedRequest[] = [];
  for (const path of pathPrefixes) {
    all.push(...(await control.requests({ path })).filter((r) => !(r.userAgent ?? '').startsWith(`${USER_AGENT.HARNESS}/`)));
  }
  return all;
}

/**
 * Counts the requests received on the given paths while `action` runs. The role records a
 * request just after answering it, so the count is read again briefly until it settles.
 */
export async function countRequestsDuring(
  control: ControlClient,
  pathPrefixes: readonly string[],
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

export type FlagState = FeatureFlagState;

/** Puts a feature flag back exactly as it was read (boolean gate and actor gates). */
export async function restoreFlag(control: ControlClient, state: FlagState): Promise<void> {
  const flag = control.featureFlag(state.name);
  if (state.actors.length) await flag.set({ enabled: true, actors: state.actors });
  else await flag.set({ enabled: false });
  if (state.enabled) await flag.set({ enabled: true });
}

/** Changes a feature flag for the rest of the check; the check's restore puts it back as it was. */
export async function setFlag(env: ConditionEnv, control: ControlClient, name: string, change: { enabled: boolean; actors?: string[] }): Promise<void> {
  const before = await control.featureFlag(name).get();
  env.restore(`feature flag ${name} of ${control.role}`, () => restoreFlag(control, before));
  await control.featureFlag(name).set(change);
}

/** Reads a control resource (e.g. `control.auth`), changes it, and registers putting the read value back. */
export async function changeResource<T, C>(env: ConditionEnv, control: ControlClient, resource: ControlResource<T, C>, change: C, restoreBody: (before: T) => C): Promise<T> {
  const before = await resource.get();
  env.restore(`${resource.path} of ${control.role}`, () => resource.set(restoreBody(before)));
  await resource.set(change);
  return before;
}
