/**
 * Bundles the explorer into dist/dtq-explore.js (plus lazily loaded chunks), so that
 * `dtq-explore` starts by loading one small file instead of resolving hundreds of modules.
 * scripts/build-bins.ts runs it with the other bins (`npm ci`, `npm pack`, `npm run build`).
 *
 * Code splitting keeps Ink and React in a chunk that only the TUI imports: --json and --plain
 * never load them. Dependencies are bundled too (DTQ_EXPLORE_BUNDLE_DEPS=0 leaves them in
 * node_modules); bench/explorer.bench.ts measures both, see docs/explorer.md.
 */
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { banner, bundleDefaults, ROOT } from './build-common.ts';

const entry = join(ROOT, 'explorer', 'cli.tsx');

/** Build the bundle into `outdir` (default dist/). */
export async function buildExplorer(options: { outdir?: string; bundleDeps?: boolean } = {}): Promise<string> {
  const outdir = options.outdir ?? join(ROOT, 'dist');
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    ...bundleDefaults(),
    entryPoints: { 'dtq-explore': entry },
    outdir,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    jsx: 'automatic',
    minifySyntax: true,
    ...(options.bundleDeps === false ? { packages: 'external' as const } : {}),
    banner: { js: banner('scripts/build-explorer.ts from explorer/') },
    metafile: true,
  });
  // The module graph, so a test can prove --json and --plain never load Ink or React.
  writeFileSync(join(outdir, 'meta.json'), JSON.stringify(result.metafile));
  // Stale chunks go only after the new ones exist: a dtq-explore started from the previous
  // build (a test, the fidelity run) can still load the chunks it names while this runs.
  const current = new Set(Object.keys(result.metafile.outputs).map((path) => path.split('/').pop()));
  const chunks = join(outdir, 'chunks');
  if (existsSync(chunks))
    for (const name of readdirSync(chunks)) if (!current.has(name)) rmSync(join(chunks, name), { force: true });
  return join(outdir, 'dtq-explore.js');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (!existsSync(entry)) {
    console.log('build: explorer/cli.tsx does not exist yet; nothing to bundle.');
    process.exit(0);
  }
  try {
    await import('esbuild');
  } catch {
    // Production installs (npm ci --omit=dev) have no esbuild; they ship a prebuilt dist/.
    console.log('build: esbuild is not installed (production install); skipping the explorer bundle.');
    process.exit(0);
  }
  const out = await buildExplorer({ bundleDeps: process.env.DTQ_EXPLORE_BUNDLE_DEPS !== '0' });
  console.log(`build: ${out} written`);
}
