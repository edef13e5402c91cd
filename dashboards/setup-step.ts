/**
 * The dashboards' step of `npm run elk:setup` (picked up through elk/setup.ts's extension
 * hook): import the Kibana objects when DTQ_KIBANA_URL is set, skip with a notice otherwise.
 */

import { envOptional } from '../contract/env.ts';
import { redactUrl } from '../contract/redact.ts';
import type { SetupStep } from '../elk/setup.ts';
import { importDashboards } from './kibana/import.ts';

/** Import the dashboards into DTQ_KIBANA_URL for the prefix being set up. */
export const kibanaDashboardsStep: SetupStep = {
  name: 'kibana-dashboards',
  async run({ prefix, env }) {
    const kibanaUrl = envOptional('DTQ_KIBANA_URL', env);
    if (kibanaUrl === undefined) return { outcome: 'skipped', detail: 'DTQ_KIBANA_URL is not set' };
    const result = await importDashboards({ kibanaUrl, prefix });
    // Overwrite import: same ids, same content; Kibana does not say whether anything differed.
    return {
      outcome: 'updated',
      detail: `${result.imported} objects into Kibana ${result.version} at ${redactUrl(kibanaUrl)} (data view ${result.indexPattern})`,
    };
  },
};

/** Steps this part contributes to elk:setup. */
export const setupSteps: SetupStep[] = [kibanaDashboardsStep];
