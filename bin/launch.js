// What every bin does first: check the running Node against package.json's engines, so an old
// Node gets one line saying what to install instead of a crash deep inside, then load the
// bundle. Plain JavaScript whose newest syntax is the bins' top-level await, so every Node from
// 14.8 on gets as far as the check.
import { readFileSync } from 'node:fs';
import module from 'node:module';

/** The problem with running on `version` given `range` (">=X.Y.Z"), or undefined when fine. */
export function nodeProblem(name, version, range) {
  const floor = /^>=\s*(\d+)\.(\d+)\.(\d+)$/.exec(range.trim());
  if (!floor) return undefined;
  const have = version.replace(/^v/, '').split('.').map(Number);
  const need = floor.slice(1).map(Number);
  for (let i = 0; i < 3; i++) {
    if ((have[i] || 0) > need[i]) return undefined;
    if ((have[i] || 0) < need[i]) return `${name} needs Node.js >= ${need.join('.')}; this is ${have.join('.')}`;
  }
  return undefined;
}

/** Exit 1 with one line on stderr when this Node is older than the package supports. */
export function checkNode(name) {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const problem = nodeProblem(name, process.versions.node, manifest.engines.node);
  if (problem) {
    process.stderr.write(`${problem}\n`);
    process.exit(1);
  }
}

/** Check the Node version, then run dist/<name>.js, the bundle scripts/build-bins.ts writes. */
export async function launch(name) {
  checkNode(name);
  // Node 22.1+ caches compiled code between runs; older ones just start a little slower.
  module.enableCompileCache?.();
  try {
    await import(`../dist/${name}.js`);
  } catch (error) {
    // Only the bundle itself missing means "not built"; a chunk it imports is a different fault.
    if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes(`dist/${name}.js'`)) {
      process.stderr.write(`${name}: the bundle is not built yet. Run \`npm run build\` (npm ci does it too).\n`);
      process.exit(1);
    }
    throw error;
  }
}
