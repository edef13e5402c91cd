/** Error catalogue of the producing side of the queues (workload/queue). */
import type { ErrorDefinition } from '../../contract/dtq-error.ts';

/** Errors the queue producer raises; the API turns them into HTTP answers. */
export const QUEUE_ERRORS = {
  REDIS_UNAVAILABLE: {
    code: 'DTQ_ERR_QUEUE_REDIS_UNAVAILABLE',
    statusCode: 503,
    message:
      'Redis is unreachable ({reason}); the task was not queued. Retry shortly; the service reconnects by itself.',
  },
  REDIS_TIMEOUT: {
    code: 'DTQ_ERR_QUEUE_REDIS_TIMEOUT',
    statusCode: 503,
    message:
      'Redis did not answer {operation} within {timeoutMs} ms; the outcome is unknown. Retry with the same Idempotency-Key to be safe.',
  },
  ENQUEUE_OUTCOME_UNKNOWN: {
    code: 'DTQ_ERR_QUEUE_ENQUEUE_OUTCOME_UNKNOWN',
    statusCode: 503,
    message:
      'Redis failed while task {task_id} was being queued ({reason}): it may or may not have been queued, and it is never queued later.',
  },
} as const satisfies Record<string, ErrorDefinition>;
