/**
 * Error catalogue of the worker. Poison errors (bad input, injected poison) fail a job at once
 * through BullMQ's UnrecoverableError; transient ones are retried with backoff.
 */
import { UnrecoverableError } from 'bullmq';
import { DtqError, dtqError, type ErrorDefinition } from '../../contract/dtq-error.ts';

/** Every error the worker raises, by name. */
export const WORKER_ERRORS = {
  INVALID_DATA: {
    code: 'DTQ_ERR_WORKER_INVALID_DATA',
    message: 'task data is invalid: {field} must be {expected}. The job fails without retry; fix the request.',
  },
  FAULT_TRANSIENT: {
    code: 'DTQ_ERR_WORKER_FAULT_TRANSIENT',
    message: 'injected transient fault on attempt {attempt} of {fail_attempts} (data.fault.fail_attempts)',
  },
  FAULT_POISON: {
    code: 'DTQ_ERR_WORKER_FAULT_POISON',
    message: 'injected poison fault (data.fault.poison): the job fails at once without retry',
  },
  TIME_LIMIT: {
    code: 'DTQ_ERR_WORKER_TIME_LIMIT',
    message:
      'the {task_type} computation ran past its time limit of {limit_ms} ms ({variable}) and its thread was stopped; the job fails without retry. Ask for less work (fewer simulations or positions), or raise the limit.',
  },
  THREAD_CRASHED: {
    code: 'DTQ_ERR_WORKER_THREAD_CRASHED',
    message: 'the compute thread exited unexpectedly ({reason}); the job will be retried',
  },
  REDIS_UNAVAILABLE: {
    code: 'DTQ_ERR_WORKER_REDIS_UNAVAILABLE',
    message:
      'Redis did not answer while the task ran ({reason}); the job will be retried, and its next attempt takes over the lock this one left. If this repeats, check that Redis at DTQ_REDIS_URL is up.',
  },
} as const satisfies Record<string, ErrorDefinition>;

/**
 * How ioredis reports that Redis could not be reached, as opposed to a command Redis refused:
 * commands flushed after `maxRetriesPerRequest` reconnections, commands on a closed connection
 * or with the offline queue off, socket errors, and a restarted Redis still loading its data.
 * ioredis exports none of these as classes, so they are told apart by name, message and code.
 */
const UNREACHABLE_NAMES = new Set(['MaxRetriesPerRequestError']);
const UNREACHABLE_MESSAGES = [/^Connection is closed\./, /^Stream isn't writeable/, /^connect ETIMEDOUT/, /^LOADING /];
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);

/** True when `error` is ioredis saying that Redis could not be reached. */
export function isRedisUnreachable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return (
    UNREACHABLE_NAMES.has(error.name) ||
    UNREACHABLE_MESSAGES.some((pattern) => pattern.test(error.message)) ||
    (typeof code === 'string' && UNREACHABLE_CODES.has(code))
  );
}

/**
 * The error a job attempt fails with: an unreachable Redis becomes DTQ_ERR_WORKER_REDIS_UNAVAILABLE
 * (transient, the raw error kept as its cause); any other error is returned unchanged.
 */
export function toJobError(error: unknown): unknown {
  if (!isRedisUnreachable(error)) return error;
  return dtqError(WORKER_ERRORS.REDIS_UNAVAILABLE, { reason: (error as Error).message }, error);
}

/** Wrap an error so BullMQ fails the job at once, keeping its dtq code for logs and the dead-letter record. */
export function poison(error: DtqError): UnrecoverableError {
  const wrapped = new UnrecoverableError(error.message);
  return Object.assign(wrapped, { code: error.code });
}

/**
 * True for errors that retrying cannot fix: input errors of the risk math, invalid data, and
 * a computation over its time limit (the same inputs would take as long again).
 */
export function isPoisonCode(code: unknown): boolean {
  return (
    typeof code === 'string' &&
    (code.startsWith('DTQ_ERR_RISK_') ||
      code === WORKER_ERRORS.INVALID_DATA.code ||
      code === WORKER_ERRORS.TIME_LIMIT.code)
  );
}

/** Rebuild an error that crossed a thread boundary as plain data. */
export function reviveError(data: { name?: string; message?: string; code?: string }): Error {
  if (typeof data.code === 'string') return new DtqError(data.code, data.message ?? 'error in compute thread');
  const error = new Error(data.message ?? 'error in compute thread');
  error.name = data.name ?? 'Error';
  return error;
}
