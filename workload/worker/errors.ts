/**
 * Error catalogue of the worker. Poison errors (bad input, injected poison) fail a job at once
 * through BullMQ's UnrecoverableError; transient ones are retried with backoff.
 */
import { UnrecoverableError } from 'bullmq';
import { DtqError, type ErrorDefinition } from '../../contract/dtq-error.ts';

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
} as const satisfies Record<string, ErrorDefinition>;

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
