/**
 * `npm pack` / `npm publish` hooks. The bins ship as bundles that hold every library they use,
 * so the published package.json needs none of the repository's dependencies (which would make
 * every consumer download the workload's Fastify, BullMQ and Ink, and warn about their engines).
 * The libraries the instrumentation subpaths hook (fastify, bullmq, pino) become optional peers:
 * a service that imports `dtq/instrumentation/fastify` has its own Fastify; an install for the
 * explorer downloads none of them.
 *
 *   prepack:  build the bundles, keep package.json aside, write the published manifest
 *   postpack: put package.json back
 *
 * The build runs before package.json is touched, so a failing build leaves it as it was.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from './build-common.ts';
import { INSTRUMENTED_LIBRARIES } from './build-instrumentation.ts';

const MANIFEST = join(ROOT, 'package.json');
const KEPT = join(ROOT, 'package.json.prepack');

/** What the repository's manifest needs only for its own work, not in the published one. */
const REPOSITORY_ONLY = ['dependencies', 'devDependencies', 'scripts', 'allowScripts', 'overrides'];

/**
 * The peer range for a library the instrumentation hooks: the major it is built and tested
 * against, from that version up. The repository pins exact versions; a range there would make
 * "the version tested" ambiguous, so it is refused rather than guessed at.
 */
export function peerRange(name: string, version: string | undefined): string {
  if (version === undefined)
    throw new Error(`package.json must depend on ${name}: the instrumentation is built against it`);
  if (!/^\d+\.\d+\.\d+$/.test(version))
    throw new Error(
      `package.json depends on ${name}@${version}; pin an exact version (x.y.z): the published peer range is built from the version tested`,
    );
  return `^${version}`;
}

/** The published manifest: the repository's without what only the repository uses, with the instrumented libraries as optional peers (pure). */
export function publishedManifest(manifest: Record<string, unknown>): Record<string, unknown> {
  const dependencies = (manifest.dependencies ?? {}) as Record<string, string>;
  const peers = Object.fromEntries(
    INSTRUMENTED_LIBRARIES.map((name) => {
      const version = dependencies[name];
      return [name, peerRange(name, version)];
    }),
  );
  return {
    ...Object.fromEntries(Object.entries(manifest).filter(([key]) => !REPOSITORY_ONLY.includes(key))),
    peerDependencies: peers,
    peerDependenciesMeta: Object.fromEntries(INSTRUMENTED_LIBRARIES.map((name) => [name, { optional: true }])),
  };
}

async function prepack(): Promise<void> {
  if (existsSync(KEPT)) restore(); // a pack that died before postpack
  const { buildAll } = await import('./build-bins.ts');
  await buildAll();
  const text = readFileSync(MANIFEST, 'utf8');
  writeFileSync(KEPT, text);
  writeFileSync(MANIFEST, `${JSON.stringify(publishedManifest(JSON.parse(text)), null, 2)}\n`);
}

function restore(): void {
  if (existsSync(KEPT)) renameSync(KEPT, MANIFEST);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // npm names the hook that runs this script; nothing else should run it.
  const hook = process.env.npm_lifecycle_event;
  if (hook === 'prepack') await prepack();
  else if (hook === 'postpack') restore();
  else {
    console.error(`build-pack-manifest: run by npm as the prepack and postpack hooks, not as ${hook ?? 'a command'}`);
    process.exit(2);
  }
}
