/**
 * `dtq-dashboards-ndjson`: the dashboards as Kibana saved-objects NDJSON, generated from the
 * definitions (for the default index prefix). In a checkout it rewrites
 * dashboards/generated/dtq.ndjson; installed, it prints to stdout; `--out FILE` (`-` for stdout)
 * chooses. `--check` writes nothing and exits 1 when the file differs from what the definitions
 * generate.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliUsageError, runCli } from '../contract/cli-args.ts';
import { GENERATED_NDJSON, savedObjects, toNdjson } from './kibana/saved-objects.ts';
import { validateSavedObjects } from './kibana/validate.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// A checkout has the committed file's folder; an installed package does not.
const defaultTarget = existsSync(dirname(join(root, GENERATED_NDJSON))) ? join(root, GENERATED_NDJSON) : '-';

const GENERATE_CLI = {
  name: 'dtq-dashboards-ndjson',
  summary: 'write the dashboards as Kibana saved-objects NDJSON (import it in Kibana, or use dtq-dashboards).',
  options: {
    out: {
      type: 'string',
      value: 'FILE',
      complete: 'file',
      description: `where to write, - for stdout (default: ${defaultTarget === '-' ? 'stdout' : GENERATED_NDJSON})`,
    },
    check: { type: 'boolean', description: 'write nothing; exit 1 when FILE differs from the definitions' },
  },
} as const;

const { target, check } = runCli(GENERATE_CLI, process.argv.slice(2), (values) => {
  const out = values.out ?? defaultTarget;
  if (values.check && out === '-') throw new CliUsageError('--check compares a file: give --out FILE');
  return { target: out, check: values.check === true };
});
const label = target === join(root, GENERATED_NDJSON) ? GENERATED_NDJSON : target;
const objects = savedObjects();
const problems = validateSavedObjects(objects);
if (problems.length > 0) {
  console.error(`dashboards: the generated saved objects are not valid:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
const text = toNdjson(objects);

if (check) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // A missing file is simply out of date.
  }
  if (current !== text) {
    console.error(`dashboards: ${label} is out of date; run: node dashboards/generate-cli.ts`);
    process.exit(1);
  }
  console.log(`dashboards: ${label} is up to date (${objects.length} objects)`);
} else if (target === '-') {
  process.stdout.write(text);
} else {
  writeFileSync(target, text);
  console.log(`dashboards: wrote ${label} (${objects.length} objects)`);
}
