/**
 * Error catalogue of the dashboards part (Kibana import and `--stats`). Every code is stable
 * and listed in docs/dashboards.md; each message says what went wrong and what to do.
 */
import type { ErrorDefinition } from '../contract/dtq-error.ts';

/** Every DTQ_ERR_KIBANA_* and DTQ_ERR_STATS_* definition, by short name. */
export const DASHBOARD_ERRORS = {
  KIBANA_BAD_URL: {
    code: 'DTQ_ERR_KIBANA_BAD_URL',
    message:
      'DTQ_KIBANA_URL={url} is not an http(s) URL. Use e.g. http://127.0.0.1:5601, or unset it to skip the dashboards.',
  },
  KIBANA_UNREACHABLE: {
    code: 'DTQ_ERR_KIBANA_UNREACHABLE',
    statusCode: 503,
    message:
      'Kibana at {url} is unreachable ({reason}). Start Kibana (docker compose up kibana), or unset DTQ_KIBANA_URL to skip the dashboards.',
  },
  KIBANA_NOT_READY: {
    code: 'DTQ_ERR_KIBANA_NOT_READY',
    statusCode: 503,
    message:
      'Kibana at {url} answered /api/status with {status} ({level}); it is still starting or unhealthy. Wait for it and run setup again.',
  },
  KIBANA_TOO_OLD: {
    code: 'DTQ_ERR_KIBANA_TOO_OLD',
    message:
      'Kibana {version} at {url} is older than {minimum}, the oldest that can import the dtq Lens dashboards. Use Kibana {recommended} (the version docker-compose.yml pins).',
  },
  KIBANA_IMPORT_FAILED: {
    code: 'DTQ_ERR_KIBANA_IMPORT_FAILED',
    message:
      'Kibana at {url} refused the dashboards import: {reason}. Check the Kibana log; the objects are in dashboards/generated/dtq.ndjson.',
  },
  STATS_QUERY_FAILED: {
    code: 'DTQ_ERR_STATS_QUERY_FAILED',
    message:
      'Elasticsearch at {url} could not compute panel {panel} over {indexPattern} ({reason}). Check DTQ_ES_URL and that `npm run elk:setup` has installed the index template.',
  },
} as const satisfies Record<string, ErrorDefinition>;
