/**
 * The runner's data model and the API a scenario suite is written against. JSON results
 * (reports/results.json) are these types serialised; JUnit and HTML are views of them.
 */
import type { HarnessControlClient, Role } from '#contracts';
import type { CallOptions, Condition, Need } from './condition.js';

export type Severity = 'MUST' | 'SHOULD';

/**
 * Outcome of one check (kept apart from the run status of a scenario). SKIPPED: not applicable
 * to this target (reason given). BLOCKED: not run because something it needs could not be
 * obtained (a prerequisite the target failed); it verifies nothing, and a BLOCKED MUST check
 * fails the run, since the target was not shown to meet it.
 */
export type CheckStatus = 'PASSED' | 'FAILED' | 'WARNING' | 'SKIPPED' | 'BLOCKED';

/** Run status of a scenario: FINISHED when every check ran, INTERRUPTED when the scenario threw. */
export type RunStatus = 'FINISHED' | 'INTERRUPTED';

/** Who takes part in an exchange: a role of the system under test, the IDE the harness plays, or the harness itself. */
export type Participant = Role | 'ide' | 'harness';

export interface ClauseRef {
  id: string;
  source: string;
  text: string;
}

/** One HTTP request/response as observed, credentials redacted at recording time. */
export interface RecordedExchange {
  id: string;
  from: Participant;
  to: Participant;
  /** 'harness' traffic (control API) is kept in the JSON but left out of diagrams. */
  kind: 'scenario' | 'control' | 'observed';
  label?: string;
  method: string;
  url: string;
  startedAt: string;
  durationMs: number;
  request: { headers: Record<string, string>; body?: string };
  response?: { status: number; headers: Record<string, string>; body?: string };
  /** Transport failure (connection refused, timeout) instead of a response. */
  error?: string;
  /** The W3C trace id the request carried (the check's), when known. */
  traceId?: string;
}

export interface CheckFailureDetail {
  message: string;
  expected?: unknown;
  actual?: unknown;
  /** Id of the exchange that showed the failure. */
  exchangeId?: string;
}

export interface CheckResult {
  id: string;
  title: string;
  severity: Severity;
  status: CheckStatus;
  clauses: ClauseRef[];
  durationMs: number;
  /** Set for FAILED and WARNING. */
  failure?: CheckFailureDetail;
  /** Set for SKIPPED (why it does not apply) and BLOCKED (which need failed, and how). */
  skipReason?: string;
  /** Set for BLOCKED: the need (or check) whose failure kept this check from running. */
  prerequisite?: string;
  /** The condition the check evaluated (absent for checks written as closures). */
  condition?: string;
  /** W3C trace id its requests carried (traceparent); roles that propagate it tie their own calls to the check. */
  traceId?: string;
  /** Texts the check attached (e.g. 'observed-diagram': the replayed exchange as Mermaid). */
  attachments?: Record<string, string>;
  /** Exchanges made while the check ran. */
  exchangeIds: string[];
  /** A known deviation from an expectations file turned this result; the original stays visible. */
  expectation?: { expectedStatus: CheckStatus; reason: string; source?: string };
}

/**
 * Something the run wants the reader to know that is no check result: an expectation that no
 * longer matches, observed traffic that could not be read, a diagram file that is missing.
 */
export interface RunNote {
  level: 'INFO' | 'WARNING';
  message: string;
  scenario?: string;
  check?: string;
}

export interface ScenarioResult {
  id: string;
  title: string;
  seeds: string[];
  status: RunStatus;
  error?: string;
  startedAt: string;
  durationMs: number;
  checks: CheckResult[];
  exchanges: RecordedExchange[];
  /** Mermaid source of the contract diagram the scenario replays, if any. */
  contractDiagram?: string;
  /** Notes about this scenario's run (e.g. observed traffic that could not be read). */
  notes?: RunNote[];
}

/** `--runtime`: the embedded roles run as local Node processes, or as containers of the project's image. */
export type StackRuntime = 'embedded' | 'containers';

export interface TargetSummary {
  role: Role;
  url: string;
  /** true when the harness started this role itself (embedded stack). */
  embedded: boolean;
}

export interface RunSummary {
  passed: number;
  failed: number;
  warnings: number;
  skipped: number;
  blocked: number;
  total: number;
}

export interface RunResult {
  tool: { name: string; version: string };
  startedAt: string;
  finishedAt: string;
  profile?: string;
  /** How the harness ran the roles it started: local processes or containers of the image (`--runtime`). */
  runtime?: StackRuntime;
  targets: TargetSummary[];
  scenarios: ScenarioResult[];
  summary: RunSummary;
  /** Run-level notes, e.g. expectations that no longer match (WARNING). */
  notes?: RunNote[];
  /**
   * 0 when no check FAILED and every scenario finished; 1 otherwise. An assertion in a SHOULD
   * check ends as WARNING, so FAILED means a MUST assertion failed or a check could not be
   * evaluated at all (no response, unknown clause id, a check that threw).
   */
  exitCode: number;
}

// ---------------------------------------------------------------------------------------
// The API scenario suites use.

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';
  /** A path (joined to the target's base URL) or an absolute URL. */
  path: string;
  headers?: Record<string, string>;
  /** Sent as JSON with Content-Type application/json. */
  json?: unknown;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, string>;
  /** Sent as is. */
  body?: string;
  /** Per-request timeout; the profile's default otherwise. */
  timeoutMs?: number;
  /** Short text for the sequence diagram instead of "METHOD path". */
  label?: string;
  /** Do not follow redirects (default: redirects are returned, never followed). */
  redirect?: 'manual';
  /** Header lines added as they are, each on its own line even when a name repeats (two Authorization headers). */
  repeatedHeaders?: ReadonlyArray<readonly [string, string]>;
}

/** A response as a check sees it. */
export interface HttpResponse {
  exchangeId: string;
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  /** Set-Cookie values, one per cookie. */
  setCookies: string[];
  text: string;
  /** The parsed body when it is JSON, else undefined. */
  json: unknown;
  durationMs: number;
  /** "METHOD url" of the request, for messages. */
  request: string;
}

export interface HttpClient {
  readonly baseUrl: string;
  request(req: HttpRequest): Promise<HttpResponse>;
}

/** A role's harness control API (only for emulators the harness can drive): the typed client of contracts/src/control-client.ts. */
export interface ControlClient extends HarnessControlClient {
  readonly role: Role;
}

export interface ResolvedTarget {
  role: Role;
  url: string;
  /** The OIDC issuer tokens and discovery name (the URL unless the profile says otherwise). */
  issuer: string;
  embedded: boolean;
  /** Present when the target exposes the harness control API and its token is known. */
  control?: ControlClient;
  /** The role's log file: an embedded role's own, or the profile's log_file for an external one (read for leaked credentials). */
  logFile?: string;
  /** ai-gateway: the GitLab roles whose tokens it trusts (profile trusted_issuers; default [gitlab-saas]). */
  trustedIssuers?: ReadonlyArray<'gitlab-saas' | 'gitlab-sm'>;
  /** ai-gateway: its documented JWKS re-fetch cooldown in seconds (profile; default 30). */
  jwksRefetchCooldownSeconds?: number;
  /** ai-gateway: how long it documents trusting an OAuth token GitLab called active (profile oauth_cache_seconds; default 30). */
  oauthCacheSeconds?: number;
  /** gitlab roles: an issue the profile's api token may read and update (seed 004's updateIssue; profile graphql_issue). */
  graphqlIssue?: { projectPath: string; iid: number };
}

/**
 * An OAuth application (client) registered on a GitLab instance, as the checks use it: public
 * when it has no secret. `redirectUri` is exact (RFC 6749 §3.1.2); one starting with '/' is
 * relative to the instance (GitLab's Web IDE application: `/oauth/ide/callback`).
 */
export interface OAuthApplicationCredentials {
  clientId: string;
  clientSecret?: string;
  redirectUri: string;
  /** The scopes it may ask for; what checks request (default: all of them). */
  scopes: string[];
  /** GitLab's trusted flag: the server skips the consent page for it. */
  trusted?: boolean;
}

/** Credentials for a GitLab role, from the demo data (embedded) or the target profile. */
export interface GitlabCredentials {
  user?: { username: string; password: string };
  /** Personal access tokens by purpose. */
  personalAccessTokens: {
    ai_features?: string;
    api?: string;
    read_user?: string;
    /** A read_api-scoped token (seed 004's scope matrix). */
    read_api?: string;
    /** A valid api-scoped token of a user without code suggestions. */
    no_code_suggestions?: string;
    revoked?: string;
    expired?: string;
    /** Self-managed admin (issue 3). */
    admin?: string;
  };
  /** The service access token a self-managed instance stores (seed 001). */
  serviceAccessToken?: string;
  /** OAuth applications registered on the instance that checks may authorize with (seed 000 option 1). */
  oauthApplications?: { webIde?: OAuthApplicationCredentials; thirdParty?: OAuthApplicationCredentials };
}

export interface CheckSpec {
  /** Stable kebab-case id, verb-first (`rejects-expired-token`). */
  id: string;
  /** What is verified, as a sentence. */
  title: string;
  severity: Severity;
  /** Clause ids of contracts/clauses.yaml. */
  clauses: string[];
}

/** Given to a check's body. Throwing CheckFailure (see checks/expect.ts) fails it. */
export interface CheckScope {
  /** Ends the check as SKIPPED with a reason. */
  skip(reason: string): never;
}

export interface ScenarioContext {
  readonly scenarioId: string;
  target(role: Role): ResolvedTarget;
  credentials(role: Role): GitlabCredentials;
  /** An HTTP client from a participant to a role; every exchange is recorded. */
  http(from: Participant, to: Role): HttpClient;
  /**
   * Runs one check written as a closure (the runner's own primitive; suites call conditions with
   * must/should instead). Resolves with the body's value when it PASSED or WARNED, else undefined.
   */
  check<T>(spec: CheckSpec, body: (scope: CheckScope) => Promise<T>): Promise<T | undefined>;
  /** Evaluates a condition as a MUST check: a failure is FAILED. Resolves with what it yields when it passed. */
  must<Out>(id: string, condition: Condition<any, Out>, clauses: string[], options?: CallOptions): Promise<Out | undefined>;
  /** Evaluates a condition as a SHOULD check: a failure is WARNING. */
  should<Out>(id: string, condition: Condition<any, Out>, clauses: string[], options?: CallOptions): Promise<Out | undefined>;
  /** A need, outside any check (scenario-level set-up); throws when unavailable. */
  need<T>(need: Need<T>): Promise<T>;
}

export interface ScenarioDefinition {
  id: string;
  title: string;
  /** Seed documents replayed, e.g. ['000']. */
  seeds: string[];
  /** File under contracts/diagrams replayed by the scenario. */
  diagram?: string;
  /** Roles the scenario needs; the embedded stack starts those not given as targets. */
  roles: Role[];
  run(ctx: ScenarioContext): Promise<void>;
}
