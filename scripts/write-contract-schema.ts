/** Writes the log contract's JSON Schema (contract/schema.ts) to its committed file. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOG_LINE_SCHEMA_FILE, renderLogLineSchema } from '../contract/schema.ts';
import { ROOT } from './build-common.ts';

writeFileSync(join(ROOT, LOG_LINE_SCHEMA_FILE), renderLogLineSchema());
process.stdout.write(`wrote ${LOG_LINE_SCHEMA_FILE}\n`);
