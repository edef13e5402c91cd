/**
 * Writes dashboards/generated/dtq.ndjson from the definitions (for the default index prefix).
 * `--check` writes nothing and exits 1 when the committed file differs from what the
 * definitions generate. Usage: node dashboards/generate-cli.ts [--check]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GENERATED_NDJSON, savedObjects, toNdjson } from './kibana/saved-objects.ts';
import { validateSavedObjects } from './kibana/validate.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, GENERATED_NDJSON);
const objects = savedObjects();
const problems = validateSavedObjects(objects);
if (problems.length > 0) {
  console.error(`dashboards: the generated saved objects are not valid:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
const text = toNdjson(objects);

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // A missing file is simply out of date.
  }
  if (current !== text) {
    console.error(`dashboards: ${GENERATED_NDJSON} is out of date; run: node dashboards/generate-cli.ts`);
    process.exit(1);
  }
  console.log(`dashboards: ${GENERATED_NDJSON} is up to date (${objects.length} objects)`);
} else {
  writeFileSync(target, text);
  console.log(`dashboards: wrote ${GENERATED_NDJSON} (${objects.length} objects)`);
}
