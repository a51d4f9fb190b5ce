/**
 * How each role's emulator is started, shared by both runtimes: the app, its command-line
 * arguments, its environment and its health path. The embedded runtime runs the compiled
 * output (dist/apps/<app>/src/main.js) as one Node process per role (tests replace entries with
 * tiny scripts); the containers runtime runs the same app, arguments and environment in the
 * image (APP=<app>, see containers.ts).
 */
import { join } from 'node:path';
import { PATH, projectRoot, type Role, webIdeFrameOrigin } from '#contracts';
import { DEFAULT_OAUTH_CACHE_SECONDS, DEFAULT_TRUSTED_ISSUERS, type TargetProfile } from '../profile.js';

/** Order in which the embedded roles start: each one's dependencies come first. */
export const START_ORDER: readonly Role[] = ['fake-model', 'gitlab-saas', 'gitlab-sm', 'ai-gateway'];

/** Roles an EMBEDDED role needs to be configured with (an external one brings its own). */
export function embeddedDependencies(role: Role, profile: TargetProfile): readonly Role[] {
  switch (role) {
    case 'gitlab-sm':
      return ['gitlab-saas'];
    case 'ai-gateway':
      return [...trustedIssuerRoles(profile), 'fake-model'];
    default:
      return [];
  }
}

/** The GitLab roles the gateway trusts as token issuers (profile `trusted_issuers`). */
export function trustedIssuerRoles(profile: TargetProfile): ReadonlyArray<'gitlab-saas' | 'gitlab-sm'> {
  return profile.roles['ai-gateway'].trusted_issuers ?? DEFAULT_TRUSTED_ISSUERS;
}

export interface LaunchContext {
  role: Role;
  port: number;
  host: string;
  /** This role's URL. */
  url: string;
  /** URL of every role of the run (embedded ones as they will be, external ones from the profile). */
  urls: Partial<Record<Role, string>>;
  profile: TargetProfile;
}

/** The emulator apps (apps/<app>); the image's APP. */
export type EmulatorApp = 'gitlab' | 'ai-gateway' | 'fake-model';

export interface RoleLaunchSpec {
  /** The app this role runs (absent in test tables of tiny scripts, which the containers runtime cannot run). */
  app?: EmulatorApp;
  /** Script run with process.execPath (embedded runtime). */
  script: string;
  /** Node's own options before the script (e.g. `--cpu-prof`, which NODE_OPTIONS refuses). */
  execArgv?: readonly string[];
  args(ctx: LaunchContext): string[];
  /** Role-specific environment (HARNESS_CONTROL_TOKEN and LOG_LEVEL are added for every role). */
  env?(ctx: LaunchContext): Record<string, string>;
  /** GET path answering 2xx once the role is ready. */
  healthPath: string;
  /**
   * false: started without the run's HARNESS_CONTROL_TOKEN, as deployed: no control routes and
   * no request log (the benchmark's gateway, measured as users run it). Default: on.
   */
  controlApi?: false;
}

export type RoleTable = Record<Role, RoleLaunchSpec>;

/**
 * The environment a role is started with beyond the runtime's own: LOG_LEVEL (the spec may
 * override it), the spec's variables and the run's control API token (never overridden; left
 * out, and emptied if the spec set it, for a spec with `controlApi: false`).
 */
export function roleEnvironment(spec: RoleLaunchSpec, ctx: LaunchContext, controlToken: string): Record<string, string> {
  return { LOG_LEVEL: 'info', ...(spec.env?.(ctx) ?? {}), HARNESS_CONTROL_TOKEN: spec.controlApi === false ? '' : controlToken };
}

function need(ctx: LaunchContext, role: Role): string {
  const url = ctx.urls[role];
  if (!url) throw new Error(`the embedded ${ctx.role} needs a ${role} URL, and none is known`);
  return url;
}

/**
 * What a GitLab role's Web IDE needs: the gateway its editor calls from the browser (when the
 * run has one). The gateway allows the editors' origins in turn (webIdeOrigins).
 */
function webIdeEnv(ctx: LaunchContext): Record<string, string> {
  const gateway = ctx.urls['ai-gateway'];
  return gateway ? { AI_GATEWAY_URL: gateway } : {};
}

/** The origins of the Web IDE editor frames of the run's GitLab roles (each instance's default frame origin). */
function webIdeOrigins(ctx: LaunchContext): string[] {
  return (['gitlab-saas', 'gitlab-sm'] as const).flatMap((role) => (ctx.urls[role] ? [webIdeFrameOrigin(ctx.urls[role])] : []));
}

export function defaultRoleTable(root: string = projectRoot()): RoleTable {
  const main = (app: EmulatorApp) => join(root, 'dist', 'apps', app, 'src', 'main.js');
  const listen = (ctx: LaunchContext) => ['--port', String(ctx.port), '--host', ctx.host];
  return {
    'fake-model': {
      app: 'fake-model',
      script: main('fake-model'),
      args: listen,
      healthPath: PATH.MODEL_HEALTHZ,
    },
    'gitlab-saas': {
      app: 'gitlab',
      script: main('gitlab'),
      args: (ctx) => [
        '--mode',
        'saas',
        ...listen(ctx),
        '--url',
        ctx.url,
        ...(ctx.profile.options.seedFile ? ['--seed', ctx.profile.options.seedFile] : []),
      ],
      env: webIdeEnv,
      healthPath: PATH.GITLAB_HEALTH,
    },
    'gitlab-sm': {
      app: 'gitlab',
      script: main('gitlab'),
      // The demo data file has a self-managed section too, so SM gets the same --seed.
      args: (ctx) => [
        '--mode',
        'self-managed',
        ...listen(ctx),
        '--url',
        ctx.url,
        ...(ctx.profile.options.seedFile ? ['--seed', ctx.profile.options.seedFile] : []),
      ],
      env: (ctx) => ({ SAAS_URL: need(ctx, 'gitlab-saas'), ...webIdeEnv(ctx) }),
      healthPath: PATH.GITLAB_HEALTH,
    },
    'ai-gateway': {
      app: 'ai-gateway',
      script: main('ai-gateway'),
      args: listen,
      env: (ctx) => ({
        AIGW_TRUSTED_ISSUERS: trustedIssuerRoles(ctx.profile).map((role) => need(ctx, role)).join(','),
        AIGW_MODEL_URL: need(ctx, 'fake-model'),
        AIGW_CORS_ALLOWED_ORIGINS: webIdeOrigins(ctx).join(','),
        // Seed 000 option 1: opaque OAuth access tokens, verified at the first trusted GitLab's
        // /oauth/token/info and trusted from memory at most the profile's oauth_cache_seconds.
        AIGW_OAUTH_TOKEN_VERIFICATION: 'token-info',
        AIGW_OAUTH_GITLAB_URL: need(ctx, trustedIssuerRoles(ctx.profile)[0]!),
        AIGW_OAUTH_CACHE_SECONDS: String(ctx.profile.roles['ai-gateway'].oauth_cache_seconds ?? DEFAULT_OAUTH_CACHE_SECONDS),
      }),
      healthPath: PATH.GATEWAY_HEALTHZ,
    },
  };
}
