/**
 * Import the dtq dashboards into Kibana on their own (elk:setup does it too when
 * DTQ_KIBANA_URL is set). Usage: DTQ_KIBANA_URL=http://127.0.0.1:5601 node dashboards/import-cli.ts
 */

import { DtqError } from '../contract/dtq-error.ts';
import { envString } from '../contract/env.ts';
import { indexPrefix } from '../contract/indices.ts';
import { importDashboards } from './kibana/import.ts';

const kibanaUrl = envString('DTQ_KIBANA_URL', 'http://127.0.0.1:5601');
try {
  const result = await importDashboards({ kibanaUrl, prefix: indexPrefix() });
  console.log(
    `dashboards: imported ${result.imported} objects into Kibana ${result.version} at ${kibanaUrl} (${result.indexPattern})`,
  );
} catch (error) {
  console.error(error instanceof DtqError ? `${error.code}: ${error.message}` : error);
  process.exitCode = 1;
}
