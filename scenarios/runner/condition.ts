/**
 * Conditions and needs: the units a suite is made of (after the OpenID Foundation conformance
 * suite's conditions). A **condition** verifies one thing and fails with the values it saw; it
 * carries no severity, no check id and no clause: the suite's call site gives those
 * (`s.must('rejects-expired-token', RefusesVariant(...), ['rfc-7519.4.1.4'])`), so one condition
 * is a MUST in one flow and a SHOULD in another. A **need** is a typed input a condition
 * declares (a discovery document, a JWT from the issuer, a role's control API): obtained once per
 * scenario run on first use, by whichever check needs it first, so every check obtains what it
 * needs itself and gives the same verdict run alone (`--check ID`) or in suite order.
 *
 * A need that does not apply to the target (no credential in the profile, no control API) makes
 * the check SKIPPED (not applicable) naming the need; a need that could not be obtained (the
 * issuer answered 500) makes it BLOCKED naming the need and what went wrong, never a silent pass.
 */
import type { Role } from '#contracts';
import type { ObservedRequest } from './diagram-replay.js';
import type { IdeClientProfile } from './profile.js';
import type { GitlabCredentials, HttpClient, Participant, ResolvedTarget } from './types.js';

/** What needs and conditions may use: the targets, their credentials, recorded HTTP clients. */
export interface NeedEnv {
  readonly scenarioId: string;
  target(role: Role): ResolvedTarget;
  credentials(role: Role): GitlabCredentials;
  /** An HTTP client from a participant to a role; every exchange is recorded under the running check. */
  http(from: Participant, to: Role): HttpClient;
  /** The IDE client under test (ide-client-oauth): the profile's `ide-client`, or the reference client. */
  ideClient(): IdeClientProfile;
  /** Another need (needs build on needs); unavailable or not applicable propagates. */
  need<T>(need: Need<T>): Promise<T>;
  /** Ends the check as SKIPPED: the condition or need does not apply to this target. */
  notApplicable(reason: string): never;
}

export interface ConditionEnv extends NeedEnv {
  /**
   * Registers how to put back something the check is about to change (a key, a flag, a
   * setting): run after the condition, pass or fail, latest first. A restore that fails fails
   * the check, since every later check would run against a changed system.
   */
  restore(what: string, undo: () => Promise<unknown>): void;
  /**
   * The requests of this check so far: the harness's own, and what every role with a readable
   * request log received for it (by the check's trace id, W3C traceparent). `unreadable` names
   * the roles whose log could not be read.
   */
  requestsSoFar(since?: number): Promise<{ requests: ObservedRequest[]; observable: Set<string>; unreadable: string[] }>;
  /** Attaches a text to the check's result (the observed sequence diagram, say); kept pass or fail. */
  attach(name: string, text: string): void;
}

/** A typed input of conditions, obtained once per scenario run (memoised, failures included). */
export interface Need<T> {
  /** What it is, as a noun phrase for messages ("the issuer's JWKS"). */
  readonly name: string;
  obtain(env: NeedEnv): Promise<T>;
}

export function need<T>(name: string, obtain: (env: NeedEnv) => Promise<T>): Need<T> {
  return { name, obtain };
}

/** One need per key (a role, say): the same Need object for the same key, so memoisation holds. */
export function needFamily<K extends string, T>(make: (key: K) => Need<T>): (key: K) => Need<T> {
  const made = new Map<K, Need<T>>();
  return (key) => {
    let n = made.get(key);
    if (!n) {
      n = make(key);
      made.set(key, n);
    }
    return n;
  };
}

export type Needs<In> = { readonly [K in keyof In]: Need<In[K]> };

export interface Condition<In extends object = object, Out = unknown> {
  /** Verb-first PascalCase name (EnsureDiscoveryNamesItsIssuer), shown in reports. */
  readonly name: string;
  /** What is verified, as a sentence (the check's title unless the call site gives one). */
  readonly title: string;
  readonly needs: Needs<In>;
  /** Throws CheckFailure (checks/expect.ts) with expected, actual and the exchange; returns what it yields. */
  evaluate(input: In, env: ConditionEnv): Promise<Out>;
}

export function condition<In extends object = object, Out = void>(definition: Condition<In, Out>): Condition<In, Out> {
  return definition;
}

/** Options a call site may add. */
export interface CallOptions {
  /** Replaces the condition's title (a parameterised condition's instance). */
  title?: string;
}
