/**
 * Builds the Node instrumentation that package.json's `exports` publishes (`dtq/instrumentation/*`):
 * an ESM bundle per entry in dist/instrumentation/ and its declarations in dist/types/.
 *
 * The libraries a service instruments (fastify, bullmq, pino) stay outside the bundles: the
 * service has its own copies, and the helpers must hook those, not a second Fastify or pino.
 * They are optional peers of the published package (scripts/build-pack-manifest.ts), so an
 * install for the explorer alone downloads none of them. Everything else (contract/, and
 * pino-elasticsearch for the logger's optional in-process stream) is bundled.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { banner, bundleDefaults, ROOT } from './build-common.ts';

/** The published subpaths (`dtq/instrumentation/<name>`), by name: the source each starts from. */
const INSTRUMENTATION_ENTRIES: Readonly<Record<string, string>> = {
  fastify: 'instrumentation/fastify.ts',
  bullmq: 'instrumentation/bullmq.ts',
  logger: 'instrumentation/logger.ts',
};

/** The libraries the instrumentation hooks, left to the service that imports it (peers, with the range it is built against). */
export const INSTRUMENTED_LIBRARIES = ['fastify', 'bullmq', 'pino'] as const;

/** Where the declarations go, under the output directory. */
const TYPES_DIR = 'types';

/** Build the bundles into `<outdir>/instrumentation` and the declarations into `<outdir>/types`; returns the bundles. */
export async function buildInstrumentation(outdir: string = join(ROOT, 'dist')): Promise<string[]> {
  const esbuild = await import('esbuild');
  const defaults = bundleDefaults();
  await esbuild.build({
    ...defaults,
    entryPoints: Object.fromEntries(
      Object.entries(INSTRUMENTATION_ENTRIES).map(([name, source]) => [name, join(ROOT, source)]),
    ),
    outdir: join(outdir, 'instrumentation'),
    // The entries share contract/ and events.ts: one chunk, so `instanceof` and module state agree across subpaths.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    external: [...defaults.external, ...INSTRUMENTED_LIBRARIES],
    banner: { js: banner('scripts/build-instrumentation.ts') },
  });
  emitDeclarations(join(outdir, TYPES_DIR));
  return Object.keys(INSTRUMENTATION_ENTRIES).map((name) => join(outdir, 'instrumentation', `${name}.js`));
}

/**
 * tsc's declarations of the entries (and of the contract modules they name), with their relative
 * imports pointing at `.js`: a consumer's TypeScript resolves `./events.js` to `./events.d.ts`,
 * where `./events.ts` would name a file the package does not ship.
 */
function emitDeclarations(typesDir: string): void {
  rmSync(typesDir, { recursive: true, force: true });
  execFileSync(
    join(ROOT, 'node_modules', '.bin', 'tsc'),
    [
      '--ignoreConfig',
      '--declaration',
      '--emitDeclarationOnly',
      '--outDir',
      typesDir,
      '--rootDir',
      ROOT,
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--target',
      'es2024',
      '--strict',
      '--skipLibCheck',
      '--types',
      'node',
      '--allowImportingTsExtensions',
      '--verbatimModuleSyntax',
      ...Object.values(INSTRUMENTATION_ENTRIES).map((source) => join(ROOT, source)),
    ],
    { cwd: ROOT, stdio: 'pipe' },
  );
  for (const file of declarationFiles(typesDir)) {
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace(/(from\s+'\.{1,2}\/[^']+)\.ts'/g, "$1.js'"));
  }
}

function declarationFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return declarationFiles(path);
    return name.endsWith('.d.ts') ? [path] : [];
  });
}
