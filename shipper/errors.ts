/**
 * Error catalogue of the shipper (Elasticsearch-side errors are in elk/errors.ts). Listed in
 * docs/pipeline.md; each message says what to do.
 */
import type { ErrorDefinition } from '../contract/dtq-error.ts';

/** Every DTQ_ERR_SHIPPER_* definition, by short name. */
export const SHIPPER_ERRORS = {
  REGISTRY_UNREADABLE: {
    code: 'DTQ_ERR_SHIPPER_REGISTRY_UNREADABLE',
    message:
      'The shipper registry {file} cannot be read ({reason}). Move it aside to reship every file from the start (Elasticsearch drops the duplicates), or restore it from a backup.',
  },
  LOG_DIR_UNREADABLE: {
    code: 'DTQ_ERR_SHIPPER_LOG_DIR_UNREADABLE',
    message:
      'The log directory {dir} cannot be read ({reason}). Set DTQ_LOG_DIR to the directory the workload writes to.',
  },
  DEAD_LETTER_UNWRITABLE: {
    code: 'DTQ_ERR_SHIPPER_DEAD_LETTER_UNWRITABLE',
    message:
      'Cannot append to the dead-letter file {file} ({reason}); the shipper stops rather than lose the rejected lines. Free disk space or fix permissions and restart it.',
  },
} as const satisfies Record<string, ErrorDefinition>;
