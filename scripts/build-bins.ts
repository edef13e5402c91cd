/**
 * Bundles every bin of the package into dist/ (`npm ci`, `npm pack` and `npm run build` run it):
 * the explorer through scripts/build-explorer.ts, and the other commands, each as one file, for
 * the lowest Node that package.json's `engines` declares. bin/<name>.js checks the Node version
 * and then imports dist/<name>.js, so an installed package needs neither TypeScript support
 * from Node nor any of the sources. The instrumentation subpaths (`dtq/instrumentation/*`) are
 * built beside them by scripts/build-instrumentation.ts.
 */
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { banner, bundleDefaults, ROOT } from './build-common.ts';
import { buildExplorer } from './build-explorer.ts';
import { buildInstrumentation } from './build-instrumentation.ts';

/** The bins besides dtq-explore, by name: the source each bundle starts from. */
export const TOOL_ENTRIES: Readonly<Record<string, string>> = {
  'dtq-ship': 'shipper/cli.ts',
  'dtq-setup': 'scripts/entry-dtq-setup.ts',
  'dtq-dashboards': 'dashboards/import-cli.ts',
  'dtq-dashboards-ndjson': 'dashboards/generate-cli.ts',
};

/**
 * Libraries a bin never loads, left out of its bundle. Code a process never runs still costs it
 * memory: V8 keeps the bundle's source and scans all of it. dtq-ship never sends its own lines
 * through the logger's in-process stream (shipper/cli.ts), and pino-elasticsearch brings the
 * Elasticsearch client, undici and Arrow: 2.3 of the bundle's 3.3 MB, about 12 MB of RSS.
 */
const LEFT_OUT: Readonly<Record<string, readonly string[]>> = { 'dtq-ship': ['pino-elasticsearch'] };

/** Build the other bins into `outdir` (default dist/); returns the files written. */
export async function buildTools(outdir: string = join(ROOT, 'dist')): Promise<string[]> {
  const esbuild = await import('esbuild');
  const defaults = bundleDefaults();
  for (const [name, source] of Object.entries(TOOL_ENTRIES)) {
    await esbuild.build({
      ...defaults,
      entryPoints: { [name]: join(ROOT, source) },
      outdir,
      external: [...defaults.external, ...(LEFT_OUT[name] ?? [])],
      // One file per bin, no shared chunks: elk/templates.ts reads its YAML next to the module
      // that runs it, so every bundle must sit in dist/ beside dist/templates/.
      splitting: false,
      banner: { js: banner('scripts/build-bins.ts') },
    });
  }
  cpSync(join(ROOT, 'elk', 'templates'), join(outdir, 'templates'), { recursive: true });
  return Object.keys(TOOL_ENTRIES).map((name) => join(outdir, `${name}.js`));
}

/** Build every bin, and the instrumentation the package exports, into dist/; returns the files written. */
export async function buildAll(): Promise<string[]> {
  const explorer = await buildExplorer({ bundleDeps: process.env.DTQ_EXPLORE_BUNDLE_DEPS !== '0' });
  return [explorer, ...(await buildTools()), ...(await buildInstrumentation())];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // `npm pack` runs prepare after prepack, which has just built everything.
  if (process.env.npm_lifecycle_event === 'prepare' && ['pack', 'publish'].includes(process.env.npm_command ?? '')) {
    console.log('build: already built by prepack.');
    process.exit(0);
  }
  try {
    await import('esbuild');
  } catch {
    // Production installs (npm ci --omit=dev) have no esbuild; they ship a prebuilt dist/.
    console.log('build: esbuild is not installed (production install); skipping the bundles.');
    process.exit(0);
  }
  console.log(`build: ${(await buildAll()).join(', ')} written`);
}
