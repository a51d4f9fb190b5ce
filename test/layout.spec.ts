/** The monorepo is what nest-cli.json and DESIGN.md say it is. */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '#contracts';

const root = projectRoot();
const nestCli = JSON.parse(readFileSync(join(root, 'nest-cli.json'), 'utf8')) as {
  monorepo: boolean;
  projects: Record<string, { type: 'application' | 'library'; root: string; sourceRoot: string; entryFile: string }>;
};

describe('layout', () => {
  it('has the top-level folders of the design', () => {
    for (const dir of ['apps', 'contracts', 'scenarios', 'load', 'docker']) expect(existsSync(join(root, dir))).toBe(true);
  });

  it('declares every folder of apps/ as a Nest project, in monorepo mode', () => {
    expect(nestCli.monorepo).toBe(true);
    const folders = readdirSync(join(root, 'apps')).sort();
    expect(Object.values(nestCli.projects).map((p) => p.root.replace('apps/', '')).sort()).toEqual(folders);
  });

  it.each(Object.entries(nestCli.projects))('%s points at a source file that exists', (_name, project) => {
    const entry = project.type === 'application' ? `${project.entryFile}.ts` : join(project.sourceRoot, `${project.entryFile}.ts`);
    expect(existsSync(join(root, entry))).toBe(true);
    expect(existsSync(join(root, project.sourceRoot))).toBe(true);
  });

  it('keeps apps apart: no app imports another app or the harness', () => {
    const offenders: string[] = [];
    for (const app of readdirSync(join(root, 'apps'))) {
      const walk = (dir: string): void => {
        for (const entry of readdirSync(dir, { withFileTypes: true })) {
          const path = join(dir, entry.name);
          if (entry.isDirectory()) walk(path);
          else if (entry.name.endsWith('.ts')) {
            for (const m of readFileSync(path, 'utf8').matchAll(/from '((?:\.\.\/)+)([^']+)'/g)) {
              const target = join(dir, m[1]!, m[2]!).slice(root.length + 1);
              const crossesApps = target.startsWith('apps/') && !target.startsWith(`apps/${app}/`) && !target.startsWith('apps/common/');
              if (crossesApps || target.startsWith('scenarios/')) offenders.push(`${path.slice(root.length + 1)} -> ${target}`);
            }
          }
        }
      };
      walk(join(root, 'apps', app));
    }
    expect(offenders).toEqual([]);
  });

  it('keeps contracts free of app and harness code', () => {
    const sources = readdirSync(join(root, 'contracts', 'src')).filter((f) => f.endsWith('.ts'));
    for (const file of sources) expect(readFileSync(join(root, 'contracts', 'src', file), 'utf8')).not.toMatch(/from '(\.\.\/\.\.\/(apps|scenarios)\/|#common)/);
  });

  it('reaches contracts/ and apps/common through the package imports #contracts and #common, never a long relative path', () => {
    const imports = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { imports: Record<string, unknown> }).imports;
    expect(Object.keys(imports)).toEqual(expect.arrayContaining(['#contracts', '#common']));
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory() && entry.name !== 'node_modules' && entry.name !== 'dist') walk(path);
        else if (entry.name.endsWith('.ts') && /from '(\.\.\/)+(apps\/common\/src|common\/src|contracts\/src)\/index\.js'/.test(readFileSync(path, 'utf8'))) {
          if (!path.startsWith(join(root, 'contracts')) && !path.startsWith(join(root, 'apps', 'common'))) offenders.push(path.slice(root.length + 1));
        }
      }
    };
    for (const dir of ['apps', 'scenarios', 'test']) walk(join(root, dir));
    expect(offenders).toEqual([]);
  });
});
