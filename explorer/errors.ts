/**
 * Error catalogue of dtq-explore. Every code is stable and listed in docs/explorer.md (a test
 * checks the two agree); each message says what went wrong and what to try. The CLI prints the
 * message and exits with the definition's exit code.
 */
import type { ErrorDefinition } from '../contract/dtq-error.ts';

/** An explorer error definition: a catalogue entry plus the process exit status it causes. */
export interface ExploreErrorDefinition extends ErrorDefinition {
  readonly exitCode: number;
}

/** Every DTQ_ERR_EXPLORE_* definition, by short name. */
export const EXPLORE_ERRORS = {
  USAGE: {
    code: 'DTQ_ERR_EXPLORE_USAGE',
    exitCode: 2,
    message: '{problem}. Run `dtq-explore --help` for the options.',
  },
  NOT_FOUND: {
    code: 'DTQ_ERR_EXPLORE_NOT_FOUND',
    exitCode: 3,
    // {hint}: the command for an id of the other kind, else the nearest ids and what to check.
    message: 'No log lines for {what} {id} in {source} (searched {range}).{hint}',
  },
  ES_UNREACHABLE: {
    code: 'DTQ_ERR_EXPLORE_ES_UNREACHABLE',
    exitCode: 4,
    message:
      'Elasticsearch at {url} is unreachable ({reason}). Start it with `npm run es start`, check --es / DTQ_ES_URL, or read the local files with --logs DIR.',
  },
  ES_QUERY_FAILED: {
    code: 'DTQ_ERR_EXPLORE_ES_QUERY_FAILED',
    exitCode: 4,
    message:
      'Elasticsearch at {url} refused the query on {index} ({status}: {reason}). Check the index prefix (DTQ_ES_INDEX_PREFIX) and run `npm run elk:setup`.',
  },
  NO_INDEX: {
    code: 'DTQ_ERR_EXPLORE_NO_INDEX',
    exitCode: 3,
    message:
      'No index matches {index} at {url}. Nothing was shipped yet: run `npm run ship`, or set DTQ_ES_INDEX_PREFIX to the prefix the shipper used.',
  },
  NO_LOGS_DIR: {
    code: 'DTQ_ERR_EXPLORE_NO_LOGS_DIR',
    exitCode: 3,
    message:
      'The log path {dir} does not exist. Run the workload (`npm run demo`), pass --logs with a directory, a file, a quoted glob or - for standard input, or set DTQ_ES_URL to read from Elasticsearch.',
  },
  NO_LOG_FILES: {
    code: 'DTQ_ERR_EXPLORE_NO_LOG_FILES',
    exitCode: 3,
    message:
      'No log file to read: {looked}.{skipped} Run the workload first (`npm run demo`) or pass --logs with a directory, a file, a quoted glob or - for standard input.',
  },
  BAD_SINCE: {
    code: 'DTQ_ERR_EXPLORE_BAD_SINCE',
    exitCode: 2,
    message: '--since {value} is neither a duration (90s, 15m, 2h, 1d) nor a date (2026-11-22T10:00:00Z).',
  },
  BAD_STATUS: {
    code: 'DTQ_ERR_EXPLORE_BAD_STATUS',
    exitCode: 2,
    message:
      '--status {value} is not understood. Use failed, a status code (202), a class (5xx), a task state (queued, running, retrying, succeeded, dead-lettered, duplicate) or stuck.',
  },
  UNKNOWN_PROFILE: {
    code: 'DTQ_ERR_EXPLORE_UNKNOWN_PROFILE',
    exitCode: 2,
    message:
      'There is no mapping profile {name}. Use one of {known} (--profile, DTQ_EXPLORE_PROFILE), or describe your format in a mapping file (--mapping FILE, docs/explorer.md "Your own logs").',
  },
  BAD_MAPPING: {
    code: 'DTQ_ERR_EXPLORE_BAD_MAPPING',
    exitCode: 2,
    message:
      'The mapping file {file} cannot be used: {problem}. See docs/explorer.md, "Your own logs", for the format.',
  },
} as const satisfies Record<string, ExploreErrorDefinition>;

/** A short name of the catalogue. */
export type ExploreErrorName = keyof typeof EXPLORE_ERRORS;

/**
 * Exit status for an error code from this catalogue; 4 for the connection errors of elk/
 * (credentials refused, TLS, settings), which say "Elasticsearch refused" as ES_QUERY_FAILED
 * does; 1 for anything else.
 */
export function exitCodeFor(code: string | undefined): number {
  for (const def of Object.values(EXPLORE_ERRORS)) if (def.code === code) return def.exitCode;
  if (code?.startsWith('DTQ_ERR_ES_')) return 4;
  return 1;
}
