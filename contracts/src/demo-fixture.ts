/**
 * The demo data (contracts/fixtures/demo-data.yaml, or a seed of the same shape) as the one
 * place its credentials are written: the embedded target profile names users and tokens
 * (`saas-developer`, `saas-developer/ai-features`) and the runner and the tests resolve the
 * passwords and token values here, so no token is written twice.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { contractPath } from './files.js';
import { describeViolations, validateAgainst, SCHEMA } from './schemas.js';
import type { DemoFixture, DemoInstance, DemoUser } from './types.js';

/** The instance sections of a fixture, as named in it. */
export const DEMO_INSTANCES = ['saas', 'self-managed'] as const;
export type DemoInstanceName = (typeof DEMO_INSTANCES)[number];

/** The default seed of the embedded GitLab instances. */
export function demoFixturePath(): string {
  return contractPath('fixtures', 'demo-data.yaml');
}

const cache = new Map<string, DemoFixture>();

/**
 * Reads and validates (contracts/schemas/demo-fixture.schema.json) a seed file, once per path.
 * Throws an Error naming the file and each violation.
 */
export function readDemoFixture(file: string = demoFixturePath()): DemoFixture {
  const cached = cache.get(file);
  if (cached) return cached;
  const data: unknown = parse(readFileSync(file, 'utf8'));
  const valid = validateAgainst(SCHEMA.DEMO_FIXTURE, data);
  if (!valid.valid) throw new Error(`${file} is not valid demo data: ${describeViolations(valid)}`);
  cache.set(file, data as DemoFixture);
  return data as DemoFixture;
}

/** A demo user with the instance it belongs to. */
export interface FoundDemoUser extends DemoUser {
  instance: DemoInstanceName;
}

/** Every user of every instance section. */
function users(fixture: DemoFixture): FoundDemoUser[] {
  return DEMO_INSTANCES.flatMap((name) => (fixture[name]?.users ?? []).map((u) => ({ ...u, instance: name })));
}

/** The instance section `name`; throws when the fixture has none. */
export function demoInstance(fixture: DemoFixture, name: DemoInstanceName): DemoInstance {
  const instance = fixture[name];
  if (!instance) throw new Error(`the demo data has no ${name} section`);
  return instance;
}

/**
 * The user `username`, looked up across both instances (usernames name one user: the seed
 * 001 service account is a SaaS user that the self-managed instance's token belongs to).
 * Throws an Error naming the user when there is none, or more than one.
 */
export function demoUser(fixture: DemoFixture, username: string): FoundDemoUser {
  const found = users(fixture).filter((u) => u.username === username);
  if (found.length !== 1) {
    throw new Error(`the demo data has ${found.length === 0 ? 'no' : 'more than one'} user '${username}' (users: ${users(fixture).map((u) => u.username).join(', ')})`);
  }
  return found[0]!;
}

/**
 * The value of the personal access token `ref` = `<username>/<token name>`. Throws an Error
 * naming the reference when the user or the token does not exist.
 */
export function demoToken(fixture: DemoFixture, ref: string): string {
  const slash = ref.indexOf('/');
  if (slash <= 0 || slash === ref.length - 1) throw new Error(`'${ref}' does not name a token: expected <username>/<token name>, e.g. saas-developer/ai-features`);
  const user = demoUser(fixture, ref.slice(0, slash));
  const name = ref.slice(slash + 1);
  const pat = user.personal_access_tokens?.find((t) => t.name === name);
  if (!pat) {
    const names = (user.personal_access_tokens ?? []).map((t) => t.name).join(', ') || 'none';
    throw new Error(`the demo user '${user.username}' has no personal access token '${name}' (tokens: ${names})`);
  }
  return pat.token;
}
