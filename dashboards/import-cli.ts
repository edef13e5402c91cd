/**
 * `dtq-dashboards`: import the dtq dashboards into Kibana on their own (`dtq-setup` does it too
 * when DTQ_KIBANA_URL is set). From a checkout: `DTQ_KIBANA_URL=… node dashboards/import-cli.ts`.
 */
import { runCli } from '../contract/cli-args.ts';
import { DtqError } from '../contract/dtq-error.ts';
import { envString } from '../contract/env.ts';
import { indexPrefix } from '../contract/indices.ts';
import { redactUrl } from '../contract/redact.ts';
import { printable } from '../contract/terminal-text.ts';
import { importDashboards } from './kibana/import.ts';

const IMPORT_CLI = {
  name: 'dtq-dashboards',
  summary: 'import the dtq dashboards and their data view into Kibana.',
  options: {},
  sections: [
    {
      title: 'Environment',
      lines: [
        'DTQ_KIBANA_URL       Kibana (default http://127.0.0.1:5601)',
        'DTQ_ES_INDEX_PREFIX  index prefix the data view matches (default dtq-logs)',
        'DTQ_ES_API_KEY, DTQ_ES_USERNAME/DTQ_ES_PASSWORD or DTQ_ES_BEARER_TOKEN: the credentials, as for Elasticsearch',
        'DTQ_KIBANA_CA        PEM file of the CA of an https Kibana (default: DTQ_ES_CA), or DTQ_KIBANA_CA_FINGERPRINT',
      ],
    },
  ],
} as const;

runCli(IMPORT_CLI, process.argv.slice(2), () => undefined);
const kibanaUrl = envString('DTQ_KIBANA_URL', 'http://127.0.0.1:5601');
try {
  const result = await importDashboards({ kibanaUrl, prefix: indexPrefix() });
  console.log(
    `dashboards: imported ${result.imported} objects into Kibana ${result.version} at ${redactUrl(kibanaUrl)} (${result.indexPattern})`,
  );
} catch (error) {
  console.error(error instanceof DtqError ? printable(`${error.code}: ${error.message}`) : error);
  process.exitCode = 1;
}
