/**
 * `npm run load -- <scenario> [options]`: one Locust scenario of load/locust/ against the
 * embedded stack or a target profile, loopback only. Installs Locust when missing, starts what
 * the profile does not name, obtains what the scenario needs (the PATs of the profile, the
 * control token, OAuth tokens), hands everything to Locust by environment variables, and exits
 * with Locust's code: 0 when every threshold held, 1 when one failed; 2 for a usage, profile or
 * target mistake, 3 when the embedded stack would not start.
 * Reports: <reports>/summary.json, <reports>/junit.xml, <reports>/logs/<role>.log.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { projectRoot } from '#contracts';
import { EXIT, StackStartError } from '../../scenarios/runner/errors.js';
import { parseLoadArgs, usage, type LoadArgs } from './args.js';
import { ensureLocust, runLocust } from './locust.js';
import { runMeta } from './meta.js';
import { mintOAuthTokens, type OAuthTokens } from './oauth-tokens.js';
import { MAX_OAUTH_TOKENS, PLANS } from './scenarios.js';
import { prepareTargets, type LoadTargets } from './targets.js';

const progress = (message: string) => process.stderr.write(`load: ${message}\n`);

/** A mistake of the user's (arguments, profile, targets): exit 2. */
class SetupError extends Error {}

async function main(argv: readonly string[]): Promise<number> {
  let args: LoadArgs;
  try {
    args = parseLoadArgs(argv);
  } catch (e) {
    process.stderr.write(`load: ${(e as Error).message}\n${usage()}\n`);
    return EXIT.USAGE;
  }
  const reports = resolve(args.reports ?? join(projectRoot(), 'reports', 'load', args.scenario));
  mkdirSync(reports, { recursive: true });

  const bin = ensureLocust(progress);
  let targets: LoadTargets;
  try {
    targets = await prepareTargets(args.profile, reports, progress);
  } catch (e) {
    if (e instanceof StackStartError) {
      progress(e.message);
      return EXIT.STACK;
    }
    throw new SetupError((e as Error).message);
  }
  let oauth: OAuthTokens | undefined;
  try {
    const env = await scenarioEnv(args, targets, reports, (t) => (oauth = t));
    progress(`running ${args.scenario}${args.smoke ? ' (smoke)' : ''}: ${args.scenario === 'ramp' ? 'users by steps' : `${args.users} users`} for ${args.durationSeconds} s against ${targets.urls['ai-gateway']}`);
    return await runLocust({ bin, scenario: args.scenario, users: args.users, durationSeconds: args.durationSeconds, env }, targets.urls['ai-gateway']);
  } finally {
    const failed = (await oauth?.revoke()) ?? [];
    for (const f of failed) progress(`could not revoke OAuth ${f}`);
    await targets.stop();
  }
}

/** The LOAD_* variables of load/locust/common/settings.py and of the scenario. */
async function scenarioEnv(args: LoadArgs, targets: LoadTargets, reports: string, keep: (tokens: OAuthTokens) => void): Promise<Record<string, string>> {
  const plan = PLANS[args.scenario];
  const saas = targets.credentials('gitlab-saas').personalAccessTokens.ai_features;
  if (!saas) throw new SetupError('the profile gives no gitlab-saas personal_access_tokens.ai_features: every scenario asks for AI access tokens with it');
  const env: Record<string, string> = {
    ...(args.smoke ? (plan.smoke.env ?? {}) : {}),
    LOAD_SCENARIO: args.scenario,
    LOAD_GATEWAY_URL: targets.urls['ai-gateway'],
    LOAD_SAAS_URL: targets.urls['gitlab-saas'],
    LOAD_SM_URL: targets.urls['gitlab-sm'],
    LOAD_SAAS_PAT: saas,
    LOAD_REPORTS_DIR: reports,
    LOAD_RUN_TIME_S: String(args.durationSeconds),
    LOAD_META: JSON.stringify(runMeta()),
  };
  // A smoke's schedule yields to what the user set in the environment.
  for (const key of Object.keys(plan.smoke.env ?? {})) if (process.env[key]) delete env[key];
  if (args.smoke) env.LOAD_SMOKE = '1';
  if (args.thresholds.length) env.LOAD_THRESHOLDS = args.thresholds.join(';');
  const sm = targets.credentials('gitlab-sm').personalAccessTokens.ai_features;
  if (sm) env.LOAD_SM_PAT = sm;
  else if (args.scenario === 'token-storm') throw new SetupError('token-storm needs the gitlab-sm personal_access_tokens.ai_features of the profile (the relay path)');
  if (plan.needsControl) {
    if (!targets.saasControlToken) throw new SetupError(`${args.scenario} changes gitlab-saas through its harness control API: give roles.gitlab-saas.control_token in the profile`);
    env.LOAD_SAAS_CONTROL_TOKEN = targets.saasControlToken;
  }
  if (plan.needsOAuthTokens) {
    progress('obtaining OAuth access tokens as the Web IDE (authorization code with PKCE)');
    const tokens = await mintOAuthTokens(targets.urls['gitlab-saas'], targets.saasIssuer, targets.credentials('gitlab-saas'), Math.min(args.users, MAX_OAUTH_TOKENS));
    keep(tokens);
    env.LOAD_OAUTH_TOKENS = tokens.accessTokens.join(',');
  }
  return env;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`load: ${(e as Error).message}\n`);
    process.exit(e instanceof SetupError ? EXIT.USAGE : EXIT.FAILED);
  },
);
