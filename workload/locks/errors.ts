/** Error catalogue of locks and the fenced result store. None is poison: the job is retried (or already belongs to a newer attempt). */
import type { ErrorDefinition } from '../../contract/dtq-error.ts';

/** Every error the locks module raises, by name. */
export const LOCK_ERRORS = {
  LOST: {
    code: 'DTQ_ERR_LOCK_LOST',
    message:
      'the lease on {resource} was lost ({reason}); the work was abandoned and the job will be retried. If this repeats, raise DTQ_LOCK_TTL_MS above the longest pause of a worker.',
  },
  WAIT_TIMEOUT: {
    code: 'DTQ_ERR_LOCK_WAIT_TIMEOUT',
    message:
      '{resource} stayed locked by task {holder} for {waited_ms} ms; the job will be retried later. A holder that died frees the lock after DTQ_LOCK_TTL_MS.',
  },
  WRITE_REJECTED: {
    code: 'DTQ_ERR_LOCK_WRITE_REJECTED',
    message:
      'result write for {resource} with fencing token {fence} was rejected: token {last} has been issued to a newer holder since. This worker paused or lost Redis past its lease; its result was discarded and the newer holder writes instead.',
  },
} as const satisfies Record<string, ErrorDefinition>;
