/**
 * The variables and flags the README documents for each app are settings the app has (or
 * refuses by name): a renamed or dropped setting fails here, not in a user's shell.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SettingsDescription } from '#common';
import { aiGatewaySettings } from '../apps/ai-gateway/src/config.js';
import { fakeModelSettings } from '../apps/fake-model/src/config.js';
import { gitlabSettings } from '../apps/gitlab/src/config.js';
import { root } from './support.js';

const readme = readFileSync(join(root, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('### Configuration of the apps'), readme.indexOf('**The harness control API.**'));

/** The `VARIABLE` and `--flag` names of the README bullet that starts with `**<label>:**` (up to the next app's bullet). */
function documentedNames(label: string): string[] {
  const start = section.indexOf(`- **${label}:**`);
  if (start < 0) throw new Error(`README's configuration section has no bullet for ${label}`);
  const next = section.indexOf('\n- **', start + 1);
  const bullet = section.slice(start, next < 0 ? undefined : next);
  return [...bullet.matchAll(/`([^`]+)`/g)].map((m) => m[1]!).filter((name) => /^[A-Z][A-Z0-9_]+$|^--[a-z-]+$/.test(name));
}

/** Every variable and flag of the settings, and the removed variables it refuses by name. */
function known(spec: SettingsDescription): Set<string> {
  const settings = Object.values(spec.settings);
  return new Set([...settings.map((s) => s.env), ...settings.flatMap((s) => (s.flag ? [`--${s.flag}`] : [])), ...Object.keys(spec.removed ?? {})]);
}

describe("the README's configuration of the apps", () => {
  it.each([
    ['gitlab', [gitlabSettings]],
    ['ai-gateway', [aiGatewaySettings]],
    ['fake-model', [fakeModelSettings]],
    ['every app', [gitlabSettings, aiGatewaySettings, fakeModelSettings]],
  ])('names only variables and flags that %s has', (label, specs) => {
    const names = documentedNames(label);
    expect(names.length).toBeGreaterThan(1);
    for (const spec of specs) expect([spec.app, names.filter((name) => !known(spec).has(name))]).toEqual([spec.app, []]);
  });
});
