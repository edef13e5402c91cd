/**
 * `npm run elk:setup`: install the ILM policy (when the server has ILM), the index template and
 * any extension steps into DTQ_ES_URL for DTQ_ES_INDEX_PREFIX. Safe to run any number of times.
 */
import { DtqError } from '../contract/dtq-error.ts';
import { runSetup } from './setup.ts';

try {
  const results = await runSetup({ notice: (line) => console.error(`notice: ${line}`) });
  for (const result of results) console.log(`${result.step.padEnd(20)} ${result.outcome.padEnd(9)} ${result.detail}`);
} catch (error) {
  console.error(error instanceof DtqError ? `${error.code}: ${error.message}` : error);
  process.exitCode = 1;
}
