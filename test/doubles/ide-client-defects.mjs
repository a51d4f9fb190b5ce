// Defect doubles of the IDE client for ide-client-oauth (test/ide-client-defects.e2e-spec.ts):
// the reference client (dist/scenarios/clients/ide/session-cli.js) with ONE behaviour broken,
// chosen by the first argument. Plain ESM run by node from the compiled output, since the runner
// starts an IDE client as a command. Each must fail exactly the checks its defect breaks.
//   skip-state-check  takes any authorization response as the pending sign-in's (no CSRF check)
//   loop-on-401       keeps refreshing and retrying while the resource answers 401 (up to 5 rounds)
//   never-revoke      signs out by forgetting its tokens, revoking nothing
//   ignore-iss        takes any authorization response as coming from its issuer (no mix-up defence)
//   no-single-flight  each concurrent request refreshes on its own (no shared refresh)
import { OAuthSessionManager } from '../../dist/scenarios/clients/oauth21/session.js';
import { FileOAuthStore } from '../../dist/scenarios/clients/oauth21/store.js';
import { REFERENCE_ACTIONS, runIdeClient, systemBrowser } from '../../dist/scenarios/clients/ide/session-cli.js';

const LOOP_ROUNDS = 5;

const DEFECTS = {
  'skip-state-check': {
    async 'sign-in'(ctx, session, redirect) {
      const { authorizationUrl, state } = await session.beginSignIn();
      const callback = new URL(await systemBrowser(ctx, redirect)(authorizationUrl, redirect.redirectUri));
      callback.searchParams.set('state', state); // the defect: whatever state came back is taken as ours
      await session.completeSignIn(callback, state);
      return true;
    },
  },
  'ignore-iss': {
    async 'sign-in'(ctx, session, redirect) {
      const { authorizationUrl, state } = await session.beginSignIn();
      const callback = new URL(await systemBrowser(ctx, redirect)(authorizationUrl, redirect.redirectUri));
      callback.searchParams.set('iss', ctx.issuer); // the defect: whatever iss came back (or none) is taken as ours
      await session.completeSignIn(callback, state);
      return true;
    },
  },
  'no-single-flight': {
    async call(ctx, _session, redirect, args) {
      const one = async () => {
        // the defect: a session manager per request, so nothing is shared between them
        const own = new OAuthSessionManager({ issuer: ctx.issuer, store: new FileOAuthStore(ctx.home), redirectUri: redirect.redirectUri });
        const res = await own.fetchWithAuth(ctx.resourceUrl);
        await res.body?.cancel();
        return res.ok;
      };
      const results = await Promise.all(Array.from({ length: Number(args[0] ?? 1) }, one));
      return results.every(Boolean);
    },
  },
  'loop-on-401': {
    async call(ctx, session, _redirect, args) {
      const one = async () => {
        for (let round = 0; round < LOOP_ROUNDS; round++) {
          const res = await session.fetchWithAuth(ctx.resourceUrl);
          await res.body?.cancel();
          if (res.status !== 401) return res.ok;
        }
        return false;
      };
      const results = await Promise.all(Array.from({ length: Number(args[0] ?? 1) }, one));
      return results.every(Boolean);
    },
  },
  'never-revoke': {
    async 'sign-out'(ctx) {
      await new FileOAuthStore(ctx.home).update(ctx.issuer, () => ({}));
      return true;
    },
  },
};

const [defect, ...argv] = process.argv.slice(2);
if (!(defect in DEFECTS)) {
  process.stderr.write(`usage: ide-client-defects.mjs ${Object.keys(DEFECTS).join('|')} ACTION [ARGS]\n`);
  process.exit(2);
}
process.exitCode = await runIdeClient(argv, process.env, { ...REFERENCE_ACTIONS, ...DEFECTS[defect] });
