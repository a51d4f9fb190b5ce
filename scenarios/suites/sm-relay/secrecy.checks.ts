/**
 * The service access token, the PATs and the JWTs of the scenario never reach a log line of
 * the roles the harness started (it can read their logs; an external role's logs it cannot).
 */
import { readFileSync } from 'node:fs';
import type { Role } from '../../../contracts/src/index.js';
import { expectThat } from '../../checks/expect.js';
import type { ScenarioContext } from '../../runner/types.js';

const ROLES: Role[] = ['gitlab-sm', 'gitlab-saas', 'ai-gateway'];
/** A signed JWT: three segments with a signature long enough to be real. */
const SIGNED_JWT = /eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]{40,}/;

export async function secrecyChecks(ctx: ScenarioContext): Promise<void> {
  await ctx.check(
    {
      id: 'keeps-credentials-out-of-logs',
      title: 'No log line of the self-managed instance, SaaS or the gateway holds the service token, a PAT or a signed JWT',
      severity: 'MUST',
      clauses: ['gitlab.relay.secrecy', 'checklist.gateway-auth.18'],
    },
    async (scope) => {
      const readable = ROLES.map((role) => ctx.target(role)).filter((t) => t.logFile);
      if (!readable.length) return scope.skip('every role is an external implementation and the profile names no log_file for any: the harness cannot read their logs');
      const secrets = new Map<string, string>();
      for (const role of ['gitlab-sm', 'gitlab-saas'] as const) {
        const { personalAccessTokens, serviceAccessToken, user } = ctx.credentials(role);
        for (const [purpose, token] of Object.entries(personalAccessTokens)) if (token) secrets.set(token, `${role} PAT ${purpose}`);
        if (serviceAccessToken) secrets.set(serviceAccessToken, 'service access token');
        if (user) secrets.set(user.password, `${role} password`);
      }
      // Log lines are written asynchronously; give the last ones a moment to land.
      await new Promise((r) => setTimeout(r, 250));
      const leaks: Array<{ role: Role; what: string; line: number }> = [];
      for (const target of readable) {
        const lines = readFileSync(target.logFile!, 'utf8').split('\n');
        lines.forEach((line, i) => {
          for (const [secret, what] of secrets) if (line.includes(secret)) leaks.push({ role: target.role, what, line: i + 1 });
          if (SIGNED_JWT.test(line)) leaks.push({ role: target.role, what: 'a signed JWT', line: i + 1 });
        });
      }
      expectThat(leaks.length === 0, `${leaks.length} log line(s) hold a credential`, {
        expected: 'no credential in any log line',
        actual: leaks.slice(0, 20).map((l) => `${l.role} log line ${l.line}: ${l.what}`),
      });
    },
  );
}
