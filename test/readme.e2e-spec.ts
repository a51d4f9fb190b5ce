/**
 * The README's walk-throughs are run as written, with bash and curl, against a stack of the
 * emulators. Only the ports differ: the blocks name the default ports, which another stack may
 * hold, so the test substitutes free ones. A README line that stops working fails here.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DEFAULT_PORT, readDemoFixture, type Role } from '#contracts';
import { loadTargetProfile } from '../scenarios/runner/profile.js';
import { freePort } from '../scenarios/runner/stack/ports.js';
import { startStack, type RunningStack } from '../scenarios/runner/stack/launcher.js';
import { root, tempDir } from './support.js';

const run = promisify(execFile);
const CONTROL_TOKEN = 'readme-e2e-control-token-0123456789abcdef';
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** The ```sh blocks of the README section whose heading starts with `heading`. */
function shellBlocks(heading: string): string {
  const start = readme.indexOf(`## ${heading}`);
  if (start < 0) throw new Error(`README has no section '## ${heading}'`);
  const end = readme.indexOf('\n## ', start + 3);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]).join('\n');
}

let stack: RunningStack;
const ports = new Map<number, number>();

/** The block with the stack's ports instead of the defaults, and the control token filled in. */
function localised(script: string): string {
  let out = script.replace(/CONTROL=<[^>\n]*>/, `CONTROL=${CONTROL_TOKEN}`);
  for (const [from, to] of ports) out = out.replace(new RegExp(`127\\.0\\.0\\.1:${from}\\b`, 'g'), `127.0.0.1:${to}`).replace(new RegExp(`listen\\(${from},`, 'g'), `listen(${to},`);
  return out;
}

async function bash(script: string): Promise<string> {
  // Whatever the block starts in the background ends with it, also when a line fails.
  const guarded = `trap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n${localised(script)}`;
  const { stdout } = await run('bash', ['-e', '-c', guarded], { cwd: tempDir('readme'), timeout: 60_000, env: { PATH: process.env.PATH ?? '' } });
  return stdout;
}

beforeAll(async () => {
  const profile = loadTargetProfile();
  for (const role of Object.keys(DEFAULT_PORT) as Role[]) {
    const port = await freePort();
    profile.roles[role].port = port;
    ports.set(DEFAULT_PORT[role], port);
  }
  // The fault servers of the seed 001 block.
  for (const fixed of [9, 9998, 9999]) ports.set(fixed, await freePort());
  stack = await startStack({ roles: ['fake-model', 'gitlab-saas', 'gitlab-sm', 'ai-gateway'], profile, ports: 'default', logsDir: tempDir('readme-logs'), controlToken: CONTROL_TOKEN });
}, 60_000);
afterAll(() => stack?.stop());

it('seed 000: the session flow, the PAT flow, a keystroke and the refusals answer as the README says', async () => {
  const out = await bash(shellBlocks('Walk-through: seed 000'));
  expect(out).toMatch(/^302$/m);
  expect(out).toContain('"access_token":"eyJ');
  expect(out).toContain("aud: 'gitlab-ai-gateway'");
  // The cloud connector shape: sub is the instance UUID, and no GitLab token class sets gitlab_instance_id.
  expect(out).toContain(`sub: '${readDemoFixture().saas.instance_id}'`);
  expect(out).not.toContain('gitlab_instance_id');
  expect(out).toContain('"object":"text_completion"');
  expect(out).toContain('cache-control: max-age=86400, public');
  expect(out).toContain('{"message":"401 Unauthorized"}');
  expect(out).toContain('"scope":"ai_features api"');
  expect(out).toContain('error="invalid_token"');
  expect(out).toContain('{"error":"No authorization header presented"}');
  expect(out).toContain('{"error":"Invalid authentication token type - only OIDC is supported"}');
  expect(out).toContain(`{"error":"Header mismatch 'X-Gitlab-Realm'"}`);
}, 60_000);

it('seed 000 option 1: PKCE with the trusted Web IDE application, an opaque token the gateway checks with GitLab, refresh and revocation, as the README says', async () => {
  const out = await bash(shellBlocks('Walk-through: seed 000, option 1'));
  expect(out).toMatch(/^302$/m);
  expect(out).toMatch(/state: 'xyz',\s+iss: 'http:\/\/127\.0\.0\.1:\d+'/);
  expect(out).toMatch(/"expires_in":7200,/);
  expect(out).toContain('"scopes":["api"]');
  expect(out.match(/"object":"text_completion".* 200$/gm)).toHaveLength(2);
  expect(out).toMatch(/^200$/m);
  expect(out.match(/\{"error":"Forbidden by auth provider"\} 401$/gm)).toHaveLength(2);
}, 60_000);

it('seed 000 option 3: the IDE controller signs a JWT for the session only, and the gateway accepts it, as the README says', async () => {
  const out = await bash(shellBlocks('Walk-through: seed 000, option 3'));
  expect(out).toMatch(/^302$/m);
  expect(out).toContain("aud: 'gitlab-ai-gateway'");
  expect(out).toContain("gitlab_realm: 'saas'");
  expect(out).toContain('"object":"text_completion"');
  expect(out).toContain('{"message":"422 Unprocessable Entity"} 422');
  expect(out.match(/\{"message":"401 Unauthorized"\} 401/g)).toHaveLength(2);
}, 60_000);

it("seed 004: the seed's own script gives its three outcomes against SaaS, as the README says", async () => {
  const out = await bash(shellBlocks('Walk-through: seed 004'));
  const [chat, update, denied] = out.trim().split('\n');
  expect(JSON.parse(chat!)).toEqual({ data: { aiAction: { clientMutationId: null, requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) } } });
  expect(JSON.parse(update!)).toEqual({ data: { updateIssue: { clientMutationId: null, issue: { iid: '7' } } } });
  expect(JSON.parse(denied!)).toMatchObject({
    errors: [{ message: "The resource that you are attempting to access does not exist or you don't have permission to perform this action", path: ['updateIssue'] }],
    data: { updateIssue: null },
  });
}, 60_000);

it('seed 001: the relayed JWT comes from SaaS, verifies against SaaS\'s keys, and every error branch answers as the README says', async () => {
  const out = await bash(shellBlocks('Walk-through: seed 001'));
  expect(out).toContain("iss: 'http://127.0.0.1:");
  expect(out).toContain("gitlab_realm: 'self-managed'");
  expect(out).toMatch(/^signed by SaaS key \S+$/m);
  expect(out.match(/\{"message":"404 Not Found"\}/g)).toHaveLength(2);
  expect(out.match(/\{"message":"401 Unauthorized"\}/g)).toHaveLength(3);
  expect(out).toContain('{"message":"403 Forbidden"}');
  expect(out).toMatch(/502 Bad Gateway - GitLab SaaS at http:\/\/127\.0\.0\.1:\d+ could not be reached/);
  expect(out).toContain('504 Gateway Timeout - GitLab SaaS did not answer within 2000 ms');
  expect(out).toContain('502 Bad Gateway - GitLab SaaS answered HTTP 500');
  // The control reset put the relay back: the next token request works again.
  const after = await bash(shellBlocks('Walk-through: seed 001').split('\n').slice(0, 4).join('\n'));
  expect(after).toContain("gitlab_realm: 'self-managed'");
}, 60_000);

it('seed 002: with the window closed the legacy token is refused, as the README says', async () => {
  const script = `${shellBlocks('Walk-through: seed 001').split('\n').filter((l) => /^(SM|SAAS|CONTROL)=|^ctl\(\)/.test(l)).join('\n')}\n${shellBlocks('Walk-through: seed 002')}`;
  const out = await bash(script);
  expect(out).toContain('{"error":"Forbidden by auth provider"}');
  expect(out).toContain('"shape":"cloud-connector"');
}, 60_000);
