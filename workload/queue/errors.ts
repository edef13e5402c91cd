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
} as const satisfies Record<string, ErrorDefinition>;
