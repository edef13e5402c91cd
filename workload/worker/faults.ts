/**
 * Fault injection (data.fault, see FaultSpec in workload/queue/contract.ts), honoured only when
 * the worker runs with DTQ_FAULTS=1. Without it the field is ignored here (the API refuses it).
 */
import { dtqError } from '../../contract/dtq-error.ts';
import type { FaultSpec } from '../queue/contract.ts';
import { poison, WORKER_ERRORS } from './errors.ts';

/** The fault spec of a task's data, when faults are enabled and one is present. */
export function faultOf(data: Record<string, unknown>, enabled: boolean): FaultSpec | undefined {
  if (!enabled) return undefined;
  const fault = data.fault;
  return fault !== null && typeof fault === 'object' ? (fault as FaultSpec) : undefined;
}

/** Throw the injected error for this attempt (1-based, counting failed attempts), if any. */
export function injectFailure(fault: FaultSpec | undefined, attempt: number): void {
  if (fault === undefined) return;
  if (fault.poison === true) throw poison(dtqError(WORKER_ERRORS.FAULT_POISON));
  const failAttempts = fault.fail_attempts ?? 0;
  if (attempt <= failAttempts) {
    throw dtqError(WORKER_ERRORS.FAULT_TRANSIENT, { attempt, fail_attempts: failAttempts });
  }
}
