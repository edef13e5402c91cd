/**
 * Error catalogue of the Elasticsearch part (elk/ and shipper/). Every code is stable and
 * listed in docs/pipeline.md; each message says what went wrong and what to try.
 */
import type { ErrorDefinition } from '../contract/dtq-error.ts';

/** Every DTQ_ERR_ES_* definition, by short name. */
export const ES_ERRORS = {
  UNREACHABLE: {
    code: 'DTQ_ERR_ES_UNREACHABLE',
    statusCode: 503,
    message:
      'Elasticsearch at {url} is unreachable ({reason}). Start one with `npm run es start`, or point DTQ_ES_URL at a running cluster.',
  },
  NOT_READY: {
    code: 'DTQ_ERR_ES_NOT_READY',
    statusCode: 503,
    message:
      'Elasticsearch at {url} did not become ready within {timeoutMs} ms (last status: {status}). Check its log at {logFile}.',
  },
  BAD_URL: {
    code: 'DTQ_ERR_ES_BAD_URL',
    message:
      'DTQ_ES_URL={url} is not an http(s) URL (or a comma-separated list of them). Use e.g. http://127.0.0.1:9200 or https://es-1:9200,https://es-2:9200.',
  },
  UNAUTHORIZED: {
    code: 'DTQ_ERR_ES_UNAUTHORIZED',
    statusCode: 401,
    message: 'Elasticsearch at {url} did not accept the credentials (401: {reason}). Check {setting}: {advice}',
  },
  FORBIDDEN: {
    code: 'DTQ_ERR_ES_FORBIDDEN',
    statusCode: 403,
    message:
      'Elasticsearch at {url} knows the credentials of {setting} but refuses {request} (403: {reason}). Grant that user or API key the privileges listed in docs/scaling-out.md.',
  },
  TLS: {
    code: 'DTQ_ERR_ES_TLS',
    message: 'The TLS connection to Elasticsearch at {url} was refused ({reason}). {advice}',
  },
  CA_UNREADABLE: {
    code: 'DTQ_ERR_ES_CA_UNREADABLE',
    message:
      'The CA file {file} ({setting}) cannot be read ({reason}). Point it at the PEM file of the CA that signed the Elasticsearch certificate (for a default 8.x install, config/certs/http_ca.crt).',
  },
  BAD_CONNECTION_SETTINGS: {
    code: 'DTQ_ERR_ES_BAD_CONNECTION_SETTINGS',
    message:
      'The Elasticsearch connection settings do not fit together: {problem}. See "Secured Elasticsearch" in docs/scaling-out.md.',
  },
  ARTIFACT_MISSING: {
    code: 'DTQ_ERR_ES_ARTIFACT_MISSING',
    message:
      'Could not fetch {artifact} with Maven ({reason}). Check network access to Maven Central, or install it by hand into ~/.m2 with `mvn dependency:get -Dartifact={artifact}`.',
  },
  TOOL_MISSING: {
    code: 'DTQ_ERR_ES_TOOL_MISSING',
    message: '`{tool}` is needed to {purpose} but was not found. Run scripts/install-system-deps.sh.',
  },
  START_FAILED: {
    code: 'DTQ_ERR_ES_START_FAILED',
    message: 'Elasticsearch exited during startup with {exit}. Last lines of its output:\n{tail}',
  },
  ALREADY_RUNNING: {
    code: 'DTQ_ERR_ES_ALREADY_RUNNING',
    message:
      'Something already answers on {url} (pid file {pidFile}). Stop it with `npm run es stop`, or use another port.',
  },
  SETUP_FAILED: {
    code: 'DTQ_ERR_ES_SETUP_FAILED',
    message: 'Setup step "{step}" failed against {url}: {reason}',
  },
} as const satisfies Record<string, ErrorDefinition>;
