/**
 * Target profiles: the system under test as data. A profile (YAML or JSON, validated by
 * target-profile.schema.json) names each role's URL and credentials; the user's profile is
 * merged over scenarios/profiles/embedded.yaml, and `--target ROLE=URL` overrides a URL.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { DEMO_INSTANCES, ROLES, demoFixturePath, demoToken, demoUser, projectRoot, readDemoFixture, type DemoFixture, type Role } from '#contracts';
import { UsageError } from './errors.js';
import type { GitlabCredentials, OAuthApplicationCredentials } from './types.js';

export const DEFAULT_TIMEOUT_MS = 10_000;

/** An OAuth application as a profile writes it (see OAuthApplicationCredentials). */
export interface ProfileOAuthApplication {
  client_id: string;
  client_secret?: string;
  redirect_uri: string;
  scopes?: string[];
  trusted?: boolean;
}

export interface ProfileCredentials {
  user?: { username: string; password: string };
  personal_access_tokens?: GitlabCredentials['personalAccessTokens'];
  service_access_token?: string;
  /** Seed 000 option 1: the Web IDE's (public, trusted) application and a third-party confidential one. */
  oauth_applications?: { web_ide?: ProfileOAuthApplication; third_party?: ProfileOAuthApplication };
}

/**
 * Credentials named in the demo data the GitLab instances are seeded with (options.seed_file, or
 * contracts/fixtures/demo-data.yaml): a user by username (its password is read from there), a
 * token as `<username>/<token name>`. The profile is resolved to ProfileCredentials at merge time,
 * so a demo token is written once, in the fixture.
 */
export interface DemoCredentialNames {
  user?: string;
  personal_access_tokens?: Partial<Record<keyof NonNullable<ProfileCredentials['personal_access_tokens']>, string>>;
  service_access_token?: string;
  /** OAuth applications of the demo data, by client_id (their secret, redirect URI and scopes are read from there). */
  oauth_applications?: { web_ide?: string; third_party?: string };
}

export interface RoleProfile {
  /** Base URL of an external implementation; absent = the embedded emulator. */
  url?: string;
  /** Port of the embedded emulator. */
  port?: number;
  /** Control API token of an external emulator. */
  control_token?: string;
  /**
   * OIDC issuer of an external GitLab when it differs from the URL the harness reaches it at
   * (a container network name behind a published port, a public URL behind a proxy).
   */
  issuer?: string;
  /**
   * A log file of an external implementation that the harness may read, to check that no
   * credential reached it (relative to the profile file). Embedded roles always have one.
   */
  log_file?: string;
  credentials?: ProfileCredentials;
  /** Credentials named in the demo data instead of written out; `credentials` wins when both are given. */
  demo_credentials?: DemoCredentialNames;
  /** ai-gateway: the GitLab roles whose tokens it trusts (default [gitlab-saas]). */
  trusted_issuers?: Array<'gitlab-saas' | 'gitlab-sm'>;
  /** ai-gateway: its documented JWKS re-fetch cooldown, in seconds (default 30, jose's). */
  jwks_refetch_cooldown_seconds?: number;
  /** ai-gateway: how long it documents trusting an OAuth token GitLab called active, in seconds (default 30). */
  oauth_cache_seconds?: number;
  /** gitlab roles: an issue the api token's user may update (seed 004's updateIssue checks put its description back). */
  graphql_issue?: { project_path: string; iid: number };
}

/** Defaults of the ai-gateway role settings. */
export const DEFAULT_TRUSTED_ISSUERS: ReadonlyArray<'gitlab-saas' | 'gitlab-sm'> = ['gitlab-saas'];
export const DEFAULT_JWKS_REFETCH_COOLDOWN_SECONDS = 30;
/** The embedded gateway's default AIGW_OAUTH_CACHE_SECONDS. */
export const DEFAULT_OAUTH_CACHE_SECONDS = 30;

/** The IDE client under test as a profile writes it (`roles.ide-client`; target-profile.schema.json `ideClient`). */
export interface IdeClientProfileFile {
  command: string | string[];
  env?: Record<string, string>;
  timeout_ms?: number;
}

/** The IDE client a run drives in ide-client-oauth (scenarios/clients/ide/protocol.ts). */
export interface IdeClientProfile {
  /** A shell command line (the action appended as arguments) or an argv array. */
  command: string | string[];
  /** Added to the client's environment. */
  env: Record<string, string>;
  /** Longest an action may take, in milliseconds. */
  timeoutMs: number;
  /** Working directory: the profile file's folder, or the current one. */
  cwd: string;
}

export const DEFAULT_IDE_CLIENT_TIMEOUT_MS = 60_000;

/** A profile file as written (snake_case keys, everything optional). */
export interface TargetProfileFile {
  name?: string;
  description?: string;
  roles?: Partial<Record<Role, RoleProfile>> & { 'ide-client'?: IdeClientProfileFile };
  options?: { timeout_ms?: number; seed_file?: string };
}

/** The merged profile a run uses. */
export interface TargetProfile {
  name: string;
  description?: string;
  /** The user's profile file, when one was given. */
  source?: string;
  roles: Record<Role, RoleProfile>;
  /** The IDE client under test; the reference client when the user's profile names none. */
  ideClient: IdeClientProfile;
  options: {
    timeoutMs: number;
    /** Absolute path of the demo data file for the embedded GitLab instances. */
    seedFile?: string;
  };
}

export interface TargetOverride {
  role: Role;
  url: string;
}

export function embeddedProfilePath(): string {
  return join(projectRoot(), 'scenarios', 'profiles', 'embedded.yaml');
}

export function profileSchemaPath(): string {
  return join(projectRoot(), 'scenarios', 'runner', 'target-profile.schema.json');
}

let validator: ValidateFunction | undefined;

function profileValidator(): ValidateFunction {
  if (!validator) {
    const ajv = new Ajv2020({ allErrors: true, strict: true, verbose: true });
    validator = ajv.compile(JSON.parse(readFileSync(profileSchemaPath(), 'utf8')) as object);
  }
  return validator;
}

function describeError(e: ErrorObject): string {
  const at = e.instancePath || '/';
  if (e.keyword === 'additionalProperties') {
    const key = (e.params as { additionalProperty: string }).additionalProperty;
    const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
    const what = e.instancePath === '/roles' ? `unknown role '${key}'` : `unknown key '${key}'`;
    return `${e.instancePath}/${key}: ${what} (allowed here: ${allowed.join(', ')})`;
  }
  if (e.keyword === 'pattern' && e.instancePath.endsWith('/url')) {
    return `${at}: must be an http:// or https:// URL, got ${JSON.stringify(e.data)}`;
  }
  return `${at}: ${e.message ?? 'is invalid'}${e.keyword === 'type' || e.keyword === 'required' ? '' : ` (got ${JSON.stringify(e.data)})`}`;
}

/** Validates a parsed profile; throws UsageError naming the file and each offending JSON pointer. */
export function validateProfile(data: unknown, file: string): TargetProfileFile {
  const validate = profileValidator();
  if (!validate(data)) {
    const lines = (validate.errors ?? []).map((e) => `  ${describeError(e)}`);
    throw new UsageError(
      `profile ${file} is not a valid target profile (scenarios/runner/target-profile.schema.json):\n${[...new Set(lines)].join('\n')}`,
    );
  }
  return data as TargetProfileFile;
}

/** Reads and validates a profile file (YAML or JSON). seed_file is resolved against the file's folder. */
export function readProfileFile(file: string): TargetProfileFile {
  const path = resolve(file);
  if (!existsSync(path)) throw new UsageError(`profile ${file} does not exist (give --profile the path of a YAML or JSON file)`);
  let data: unknown;
  try {
    const text = readFileSync(path, 'utf8');
    data = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new UsageError(`profile ${file} cannot be parsed: ${(e as Error).message}`);
  }
  const profile = validateProfile(data ?? {}, file);
  if (profile.options?.seed_file) {
    const seed = resolve(dirname(path), profile.options.seed_file);
    if (!existsSync(seed)) {
      throw new UsageError(`profile ${file}: /options/seed_file: ${profile.options.seed_file} does not exist (resolved to ${seed})`);
    }
    profile.options = { ...profile.options, seed_file: seed };
  }
  return profile;
}

export function readEmbeddedProfile(): TargetProfileFile {
  return readProfileFile(embeddedProfilePath());
}

/** Parses `--target ROLE=URL`. */
export function parseTargetOverride(spec: string): TargetOverride {
  const eq = spec.indexOf('=');
  if (eq <= 0) {
    throw new UsageError(`--target ${spec}: expected ROLE=URL, e.g. --target ai-gateway=http://127.0.0.1:8080 (roles: ${ROLES.join(', ')})`);
  }
  const role = spec.slice(0, eq);
  const url = spec.slice(eq + 1);
  if (!(ROLES as readonly string[]).includes(role)) {
    throw new UsageError(`--target ${spec}: unknown role '${role}' (roles: ${ROLES.join(', ')})`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--target ${spec}: '${url}' is not a URL (expected e.g. http://127.0.0.1:8080)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(`--target ${spec}: '${url}' must be an http:// or https:// URL`);
  }
  if (parsed.search || parsed.hash) {
    throw new UsageError(`--target ${spec}: give the base URL without query or fragment`);
  }
  return { role: role as Role, url: normaliseUrl(url) };
}

function normaliseUrl(url: string): string {
  return url.replace(/\/+$/, '');
}

/**
 * The credentials `names` give, read from the demo data file `seed`. Throws UsageError naming
 * the role's profile key and what the demo data lacks.
 */
export function resolveDemoCredentials(role: Role, names: DemoCredentialNames, seed: string = demoFixturePath()): ProfileCredentials {
  const at = (key: string) => `/roles/${role}/demo_credentials${key ? `/${key}` : ''}`;
  const read = <T>(key: string, get: () => T): T => {
    try {
      return get();
    } catch (e) {
      throw new UsageError(`profile: ${at(key)}: ${(e as Error).message} (demo data: ${seed}); give the role's credentials in your profile instead`);
    }
  };
  const fixture = read('', () => readDemoFixture(seed));
  const out: ProfileCredentials = {};
  if (names.user) {
    const user = read('user', () => demoUser(fixture, names.user!));
    out.user = { username: user.username, password: user.password };
  }
  if (names.personal_access_tokens) {
    out.personal_access_tokens = Object.fromEntries(
      Object.entries(names.personal_access_tokens).map(([purpose, ref]) => [purpose, read(`personal_access_tokens/${purpose}`, () => demoToken(fixture, ref!))]),
    );
  }
  if (names.service_access_token) out.service_access_token = read('service_access_token', () => demoToken(fixture, names.service_access_token!));
  if (names.oauth_applications) {
    const apps: NonNullable<ProfileCredentials['oauth_applications']> = {};
    for (const [purpose, clientId] of Object.entries(names.oauth_applications) as Array<['web_ide' | 'third_party', string]>) {
      apps[purpose] = read(`oauth_applications/${purpose}`, () => demoOAuthApplication(fixture, clientId));
    }
    out.oauth_applications = apps;
  }
  return out;
}

/**
 * Merges the user's profile over the base (embedded) profile, then applies --target overrides.
 * A role that ends up with a URL takes its credentials and control token ONLY from the user's
 * profile: the demo tokens of the embedded profile mean nothing to a foreign GitLab. An
 * embedded role's credentials are replaced as a whole when the user's profile gives some.
 */
export function mergeProfiles(
  base: TargetProfileFile,
  user?: TargetProfileFile,
  overrides: readonly TargetOverride[] = [],
  source?: string,
): TargetProfile {
  const roles = {} as Record<Role, RoleProfile>;
  const seed = user?.options?.seed_file ?? base.options?.seed_file;
  // A role's credentials as one profile gives them: written out, or named in the demo data.
  const credentialsOf = (role: Role, p: RoleProfile): ProfileCredentials | undefined =>
    p.credentials ?? (p.demo_credentials ? resolveDemoCredentials(role, p.demo_credentials, seed) : undefined);
  for (const role of ROLES) {
    const b = base.roles?.[role] ?? {};
    const u = user?.roles?.[role] ?? {};
    const override = [...overrides].reverse().find((o) => o.role === role);
    const url = override?.url ?? u.url ?? b.url;
    const merged: RoleProfile = {};
    // Gateway settings describe the implementation: an external one's come only from the user.
    const gatewaySettings = url ? u : { ...b, ...u };
    if (gatewaySettings.trusted_issuers) merged.trusted_issuers = [...gatewaySettings.trusted_issuers];
    if (gatewaySettings.jwks_refetch_cooldown_seconds !== undefined) merged.jwks_refetch_cooldown_seconds = gatewaySettings.jwks_refetch_cooldown_seconds;
    if (gatewaySettings.oauth_cache_seconds !== undefined) merged.oauth_cache_seconds = gatewaySettings.oauth_cache_seconds;
    // Like the gateway settings, the issue describes the implementation's data: an external one's comes from the user only.
    if (gatewaySettings.graphql_issue) merged.graphql_issue = { ...gatewaySettings.graphql_issue };
    if (url) {
      merged.url = normaliseUrl(url);
      const credentials = credentialsOf(role, u);
      if (credentials) merged.credentials = credentials;
      if (u.control_token) merged.control_token = u.control_token;
      if (u.issuer) merged.issuer = normaliseUrl(u.issuer);
      if (u.log_file) merged.log_file = source ? resolve(dirname(source), u.log_file) : resolve(u.log_file);
    } else {
      const credentials = credentialsOf(role, u) ?? credentialsOf(role, b);
      if (credentials) merged.credentials = credentials;
      const port = u.port ?? b.port;
      if (port !== undefined) merged.port = port;
    }
    roles[role] = merged;
  }
  const profile: TargetProfile = {
    name: user?.name ?? (source ? source : base.name ?? 'embedded'),
    roles,
    ideClient: ideClientOf(user?.roles?.['ide-client'], source),
    options: { timeoutMs: user?.options?.timeout_ms ?? base.options?.timeout_ms ?? DEFAULT_TIMEOUT_MS },
  };
  const description = user?.description ?? base.description;
  if (description) profile.description = description;
  if (source) profile.source = source;
  if (seed) profile.options.seedFile = seed;
  return profile;
}

/** The reference IDE client: seed 003's session manager behind the IDE client protocol. */
export function referenceIdeClientCommand(): string[] {
  return [process.execPath, join(projectRoot(), 'dist', 'scenarios', 'clients', 'ide', 'reference-client.js')];
}

function ideClientOf(file: IdeClientProfileFile | undefined, source: string | undefined): IdeClientProfile {
  const cwd = source ? dirname(resolve(source)) : process.cwd();
  if (!file) return { command: referenceIdeClientCommand(), env: {}, timeoutMs: DEFAULT_IDE_CLIENT_TIMEOUT_MS, cwd };
  return { command: file.command, env: { ...(file.env ?? {}) }, timeoutMs: file.timeout_ms ?? DEFAULT_IDE_CLIENT_TIMEOUT_MS, cwd };
}

/** What the CLI does: embedded.yaml, the user's --profile (optional) and --target overrides. */
export function loadTargetProfile(options: { profileFile?: string; targets?: readonly string[] } = {}): TargetProfile {
  const overrides = (options.targets ?? []).map(parseTargetOverride);
  const user = options.profileFile ? readProfileFile(options.profileFile) : undefined;
  return mergeProfiles(readEmbeddedProfile(), user, overrides, options.profileFile);
}

/** The credentials checks see for a role (camelCase as in types.ts); empty when the profile gives none. */
export function credentialsFor(profile: TargetProfile, role: Role): GitlabCredentials {
  const c = profile.roles[role].credentials;
  const out: GitlabCredentials = { personalAccessTokens: { ...(c?.personal_access_tokens ?? {}) } };
  if (c?.user) out.user = { ...c.user };
  if (c?.service_access_token) out.serviceAccessToken = c.service_access_token;
  const apps = c?.oauth_applications;
  if (apps?.web_ide || apps?.third_party) {
    out.oauthApplications = {};
    if (apps.web_ide) out.oauthApplications.webIde = oauthApplicationOf(apps.web_ide);
    if (apps.third_party) out.oauthApplications.thirdParty = oauthApplicationOf(apps.third_party);
  }
  return out;
}

function oauthApplicationOf(app: ProfileOAuthApplication): OAuthApplicationCredentials {
  return {
    clientId: app.client_id,
    ...(app.client_secret ? { clientSecret: app.client_secret } : {}),
    redirectUri: app.redirect_uri,
    scopes: [...(app.scopes ?? [])],
    ...(app.trusted !== undefined ? { trusted: app.trusted } : {}),
  };
}

/** The demo data's OAuth application `clientId` (either instance), as a profile would write it; throws naming what is missing. */
function demoOAuthApplication(fixture: DemoFixture, clientId: string): ProfileOAuthApplication {
  const found = DEMO_INSTANCES.flatMap((name) => fixture[name]?.oauth_applications ?? []).find((a) => a.client_id === clientId);
  if (!found) throw new Error(`the demo data has no OAuth application '${clientId}'`);
  if (found.redirect_uris.length === 0) throw new Error(`the demo OAuth application '${clientId}' has no redirect URI`);
  return {
    client_id: found.client_id,
    ...(found.secret ? { client_secret: found.secret } : {}),
    redirect_uri: found.redirect_uris[0]!,
    scopes: [...found.scopes],
    ...(found.trusted !== undefined ? { trusted: found.trusted } : {}),
  };
}

/** Roles the profile points at an external URL. */
export function externalRoles(profile: TargetProfile): Role[] {
  return ROLES.filter((r) => profile.roles[r].url);
}
