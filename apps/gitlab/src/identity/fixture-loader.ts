import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import {
  type DemoFixture,
  type DemoInstance,
  SCHEMA,
  compileValidator,
} from '#contracts';
import type { GitlabMode } from '../config.js';

/** A seed file that cannot be used; every problem names the file and the JSON pointer. */
export class FixtureError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`invalid seed file ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'FixtureError';
  }
}

let validateFixture: ReturnType<typeof compileValidator> | undefined;

/**
 * Parses and validates a seed document: the contract schema (demo-fixture.schema.json) first,
 * then what a schema cannot say (unique ids, usernames, tokens and group paths; group
 * references that exist). Every problem is reported at once.
 */
export function parseFixture(text: string, file: string): DemoFixture {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new FixtureError(file, [`${file}: not valid YAML: ${(e as Error).message.split('\n')[0]}`]);
  }
  validateFixture ??= compileValidator(SCHEMA.DEMO_FIXTURE);
  const result = validateFixture(doc);
  if (!result.valid) {
    throw new FixtureError(
      file,
      result.violations.map((v) => `${file}: ${v.message}`),
    );
  }
  const fixture = doc as DemoFixture;
  const problems: string[] = [];
  for (const section of ['saas', 'self-managed'] as const) {
    const instance = fixture[section];
    if (instance) problems.push(...crossCheck(instance, `/${section}`).map((p) => `${file}: ${p}`));
  }
  if (problems.length) throw new FixtureError(file, problems);
  return fixture;
}

/** Reads a seed file (GITLAB_SEED_FILE) and validates it. */
export function loadFixtureFile(file: string): DemoFixture {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new FixtureError(file, [`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`]);
  }
  return parseFixture(text, file);
}

/** The section of the fixture this instance's mode serves. */
export function fixtureSection(fixture: DemoFixture, mode: GitlabMode, file: string): DemoInstance {
  const instance = fixture[mode];
  if (!instance) throw new FixtureError(file, [`${file}: /${mode}: section missing (needed for --mode ${mode})`]);
  return instance;
}

function crossCheck(instance: DemoInstance, base: string): string[] {
  const problems: string[] = [];
  const firstSeen = new Map<string, string>();
  const unique = (kind: string, value: string, at: string) => {
    const key = `${kind}\u0000${value}`;
    const earlier = firstSeen.get(key);
    // Secrets are never echoed, not even into a start-up error.
    const shown = kind === 'token' ? '' : ` '${value}'`;
    if (earlier) problems.push(`${at}: duplicate ${kind}${shown} (first at ${earlier})`);
    else firstSeen.set(key, at);
  };

  const groups = new Set<string>();
  (instance.groups ?? []).forEach((g, i) => {
    unique('group path', g.path, `${base}/groups/${i}/path`);
    groups.add(g.path);
  });
  instance.users.forEach((u, i) => {
    const at = `${base}/users/${i}`;
    unique('user id', String(u.id), `${at}/id`);
    // GitLab usernames are case-insensitive.
    unique('username', u.username.toLowerCase(), `${at}/username`);
    (u.groups ?? []).forEach((g, j) => {
      if (!groups.has(g)) problems.push(`${at}/groups/${j}: group '${g}' is not defined in ${base}/groups`);
    });
    (u.personal_access_tokens ?? []).forEach((t, j) => unique('token', t.token, `${at}/personal_access_tokens/${j}/token`));
  });
  (instance.oauth_applications ?? []).forEach((a, i) => unique('OAuth client_id', a.client_id, `${base}/oauth_applications/${i}/client_id`));
  const usernames = new Set(instance.users.map((u) => u.username.toLowerCase()));
  (instance.projects ?? []).forEach((p, i) => {
    const at = `${base}/projects/${i}`;
    unique('project id', String(p.id), `${at}/id`);
    // Full paths are case-insensitive in GitLab (Routable.find_by_full_path).
    unique('project path', p.full_path.toLowerCase(), `${at}/full_path`);
    (p.members ?? []).forEach((m, j) => {
      if (!usernames.has(m.username.toLowerCase())) problems.push(`${at}/members/${j}: user '${m.username}' is not defined in ${base}/users`);
    });
    (p.issues ?? []).forEach((issue, j) => unique(`issue iid of ${p.full_path}`, String(issue.iid), `${at}/issues/${j}/iid`));
  });
  return problems;
}
