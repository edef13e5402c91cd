#!/usr/bin/env node
// dtq-explore launcher: turns on Node's compile cache, then loads the bundle that
// scripts/build-explorer.ts writes to dist/ (npm ci and npm run build create it).
import module from 'node:module';

module.enableCompileCache?.();
try {
  await import('../dist/dtq-explore.js');
} catch (error) {
  // Only the bundle itself missing means "not built"; a chunk it imports is a different fault.
  if (
    error?.code === 'ERR_MODULE_NOT_FOUND' &&
    /Cannot find module '[^']*dist\/dtq-explore\.js'/.test(String(error.message))
  ) {
    process.stderr.write('dtq-explore: the explorer is not built yet. Run `npm run build` (npm ci does it too).\n');
    process.exit(1);
  }
  throw error;
}
