/**
 * Error catalogue of the Idempotency-Key layer. Codes are stable; docs/idempotency.md carries
 * the same table and a test keeps the two in step.
 */
import type { ErrorDefinition } from '../../contract/dtq-error.ts';

/** Every error the idempotency layer answers with, by code. */
export const IDEMPOTENCY_ERRORS = {
  KEY_INVALID: {
    code: 'DTQ_ERR_IDEMPOTENCY_KEY_INVALID',
    statusCode: 400,
    message:
      'Idempotency-Key header is invalid: {reason}. Send one header of 1 to 255 printable ASCII characters (a UUID is a good key); nothing was stored.',
  },
  IN_FLIGHT: {
    code: 'DTQ_ERR_IDEMPOTENCY_IN_FLIGHT',
    statusCode: 409,
    message:
      'A request with this Idempotency-Key is still being processed (task {task_id}). Retry after {retry_after_s} s with the same key and body to get its response.',
  },
  PAYLOAD_MISMATCH: {
    code: 'DTQ_ERR_IDEMPOTENCY_PAYLOAD_MISMATCH',
    statusCode: 422,
    message:
      'This Idempotency-Key was already used with a different request body (task {task_id}). Use a new key for a different request; the original is unchanged.',
  },
  STORE_UNAVAILABLE: {
    code: 'DTQ_ERR_IDEMPOTENCY_STORE_UNAVAILABLE',
    statusCode: 503,
    message:
      'The idempotency store (Redis) is unreachable, so the request was not processed. Retry later with the same Idempotency-Key.',
  },
  STORE_INCONSISTENT: {
    code: 'DTQ_ERR_IDEMPOTENCY_STORE_INCONSISTENT',
    statusCode: 500,
    message:
      'The idempotency claim script and its specification disagree ({detail}); this is a dtq bug, please report it with the correlation id.',
  },
} as const satisfies Record<string, ErrorDefinition>;
