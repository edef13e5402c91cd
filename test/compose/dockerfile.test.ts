/**
 * The project image, proven offline: a multi-stage build on Node 24 whose runtime stage has
 * production dependencies only, installed without scripts (and why that is safe), runs as a
 * non-root user, and contains every file the compose services import.
 */
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { argv, loadCompose, nodeEntry, ROOT } from './compose-file.ts';

const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const dockerignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { dev?: boolean; hasInstallScript?: boolean; optional?: boolean }>;
};

/** The stages of the Dockerfile: base image, name and instruction lines. */
function stages(): Array<{ from: string; name: string; lines: string[] }> {
  const result: Array<{ from: string; name: string; lines: string[] }> = [];
  for (const line of dockerfile.split('\n').filter((text) => text.trim() !== '' && !text.startsWith('#'))) {
    const from = /^FROM (\S+) AS (\S+)$/.exec(line);
    if (from) result.push({ from: from[1] as string, name: from[2] as string, lines: [] });
    else result.at(-1)?.lines.push(line);
  }
  return result;
}

/** Top-level directories the runtime stage copies from the build context. */
function copiedDirs(): string[] {
  const runtime = stages().at(-1);
  return (runtime?.lines ?? []).flatMap((line) => /^COPY (?!--from)(\S+) \.\/\1$/.exec(line)?.[1] ?? []);
}

/** Every file reachable from `entry` through relative imports, and the packages it imports. */
function importClosure(entries: string[]): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = entries.map((entry) => resolve(ROOT, entry));
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(
      /(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s+'([^']+)'|import\('([^']+)'\)/g,
    )) {
      const specifier = (match[1] ?? match[2]) as string;
      if (specifier.startsWith('.')) queue.push(resolve(dirname(file), specifier));
      else if (!specifier.startsWith('node:') && !builtinModules.includes(specifier)) {
        packages.add(
          specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : (specifier.split('/')[0] as string),
        );
      }
    }
  }
  return { files, packages };
}

describe('the Dockerfile', () => {
  it('builds in two stages on the Node 24 slim image, the runtime stage last', () => {
    const [build, runtime, ...rest] = stages();
    expect(rest).toEqual([]);
    expect(build?.name).toBe('build');
    expect(runtime?.name).toBe('runtime');
    // The image runs the TypeScript sources as the repository does: on the Node it pins as a
    // devDependency, not on the oldest one the published bins support (engines).
    const major = /^(\d+)\./.exec(pkg.devDependencies.node ?? '')?.[1];
    expect(major).toBeDefined();
    for (const stage of [build, runtime]) expect(stage?.from).toMatch(new RegExp(`^node:${major}-bookworm-slim$`));
    for (const service of Object.values(loadCompose().services)) {
      if (service.build) expect(service.build.target).toBe('runtime');
    }
  });

  it('bundles the explorer in the build stage and ships only the bundle', () => {
    const [build, runtime] = stages();
    expect(build?.lines).toContain('RUN npm ci --ignore-scripts --no-audit --no-fund');
    expect(build?.lines).toContain('RUN npm run build');
    expect(runtime?.lines).toContain('COPY --from=build /app/dist ./dist');
    expect(runtime?.lines.some((line) => line.includes('node_modules'))).toBe(false);
  });

  it('installs production dependencies only, without install scripts, and runs as a non-root user', () => {
    const runtime = stages().at(-1);
    expect(runtime?.lines).toContain(
      'RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force',
    );
    const users = (runtime?.lines ?? []).filter((line) => line.startsWith('USER '));
    expect(users).toEqual(['USER node']);
    expect(runtime?.lines.at(-1)).toMatch(/^CMD \["node", "workload\/api\/main\.ts"\]$/);
  });

  it('skips only install scripts that production does not need (a new one must be looked at)', () => {
    const scripted = Object.entries(lock.packages)
      .filter(([, entry]) => entry.hasInstallScript && !entry.dev)
      .map(([path]) => path.replace(/^.*node_modules\//, ''))
      .sort();
    // node (the repository's pinned runtime) is a devDependency, so production installs skip it.
    // msgpackr-extract: builds from source only when no prebuilt binary fits; its platform
    // package (below) carries the prebuilt one, which msgpackr loads without any script.
    expect(scripted).toEqual(['msgpackr-extract']);
    expect(Object.keys(lock.packages)).toContain(
      'node_modules/msgpackr/node_modules/@msgpackr-extract/msgpackr-extract-linux-x64',
    );
    // esbuild (build stage only) finds its binary in its platform package without its postinstall.
    expect(Object.keys(lock.packages)).toContain('node_modules/@esbuild/linux-x64');
  });

  it('keeps dependencies, build output, logs and git history out of the build context', () => {
    expect(dockerignore).toEqual(expect.arrayContaining(['node_modules', 'dist', 'var', '.git']));
    for (const dir of ['explorer', 'scripts', 'workload', 'shipper', 'elk', 'dashboards', 'bin'])
      expect(dockerignore).not.toContain(dir);
  });

  it('contains every file the compose services import, and only production packages', () => {
    const services = Object.values(loadCompose().services).filter((service) => service.build);
    const entries = services.flatMap((service) => {
      const args = argv(service);
      if (args[1] === '--input-type=module')
        return [...(args[3] ?? '').matchAll(/from '\.\/([^']+)'/g)].map((m) => m[1] as string);
      return [nodeEntry(service) as string];
    });
    // elk/setup.ts loads the dashboards' setup step by URL, not by an import statement.
    const { files, packages } = importClosure([...entries, 'dashboards/setup-step.ts']);
    expect(files.size).toBeGreaterThan(20);
    const copied = new Set(copiedDirs());
    const outside = [...files]
      .map((file) => relative(ROOT, file))
      .filter((file) => !copied.has(file.split('/')[0] as string));
    expect(outside).toEqual([]);
    for (const file of files) expect(existsSync(file)).toBe(true);
    const notProduction = [...packages].filter((name) => !(name in pkg.dependencies));
    expect(notProduction).toEqual([]);
  });
});
