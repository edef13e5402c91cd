/**
 * `dtq-setup` (`npm run elk:setup`): install the ILM policy (when the server has ILM), the index
 * template and any extension steps into DTQ_ES_URL for DTQ_ES_INDEX_PREFIX. Safe to run any
 * number of times.
 */
import { fileURLToPath } from 'node:url';
import { runCli } from '../contract/cli-args.ts';
import { DtqError } from '../contract/dtq-error.ts';
import { printable } from '../contract/terminal-text.ts';
import { ES_CLI_OPTIONS, ES_ENV_HELP, esConnection } from './connection.ts';
import { runSetup, type SetupStep } from './setup.ts';

const SETUP_CLI = {
  name: 'dtq-setup',
  summary: 'install the ILM policy, the index template and the dashboards; safe to run again.',
  options: ES_CLI_OPTIONS,
  sections: [
    {
      title: 'Environment',
      lines: [
        ...ES_ENV_HELP,
        'DTQ_ES_INDEX_PREFIX    index prefix (default dtq-logs)',
        'DTQ_ES_REPLICAS        replicas of each index: 0-1 (default: one once a second node exists), 0, 1, 2…',
        'DTQ_KIBANA_URL         also import the dashboards into this Kibana',
      ],
    },
  ],
} as const;

/** Run the setup command; `steps` replaces the steps elk/setup.ts finds (the bundled bin passes them). */
export async function setupCli(argv: readonly string[], steps?: readonly SetupStep[]): Promise<void> {
  const flags = runCli(SETUP_CLI, argv, (values) => values);
  try {
    const results = await runSetup({
      connection: esConnection(process.env, flags),
      notice: (line) => console.error(`notice: ${printable(line)}`),
      ...(steps ? { steps } : {}),
    });
    for (const result of results)
      console.log(printable(`${result.step.padEnd(20)} ${result.outcome.padEnd(9)} ${result.detail}`));
  } catch (error) {
    console.error(error instanceof DtqError ? printable(`${error.code}: ${error.message}`) : error);
    process.exitCode = 1;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await setupCli(process.argv.slice(2));
