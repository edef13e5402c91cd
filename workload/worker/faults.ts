/**
 * Fault injection (data.fault, see FaultSpec in workload/queue/contract.ts), honoured only when
 * the worker runs with DTQ_FAULTS=1. Without it the field is ignored here (the API refuses it).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { dtqError } from '../../contract/dtq-error.ts';
import type { FaultSpec } from '../queue/contract.ts';
import { poison, WORKER_ERRORS } from './errors.ts';

/** How often an injected pause checks for its release key. */
const RELEASE_POLL_MS = 50;

/** What the pause needs of a Redis client. */
export interface ReleaseKeyReader {
  exists(key: string): Promise<number>;
}

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

/**
 * The injected pause (`sleep_ms`), never longer than that: it ends early once the Redis key
 * `sleep_until_key` exists, or when `signal` fires. It never throws; the caller checks its signals.
 */
export async function injectedPause(
  fault: FaultSpec | undefined,
  redis: ReleaseKeyReader,
  signal: AbortSignal,
): Promise<void> {
  if (!fault?.sleep_ms) return;
  const deadline = Date.now() + fault.sleep_ms;
  const key = fault.sleep_until_key;
  try {
    if (key === undefined) {
      await sleep(fault.sleep_ms, undefined, { signal });
      return;
    }
    while (Date.now() < deadline && (await redis.exists(key)) === 0) {
      await sleep(Math.min(RELEASE_POLL_MS, deadline - Date.now()), undefined, { signal });
    }
  } catch {
    // Aborted, or Redis unreachable: the pause is over either way, and the fenced write that
    // follows reports a Redis failure itself.
  }
}
