/**
 * The attempts this worker process is running, by job id, from `task.started` until BullMQ has
 * recorded their end. It outlives the processor call on purpose: the moments when a worker learns
 * it was overtaken — its job lock could not be renewed, its event loop stood still, or BullMQ
 * refused to record the end of an attempt whose job lock was gone — reach us through BullMQ's
 * worker events or a timer, which know at most the job id. The registry gives those lines the
 * attempt's own ids (correlation id, task id, attempt, fencing token), so they join the trace.
 */
import { EVENTS, F } from '../../contract/vocabulary.ts';
import type { JobLog } from '../../instrumentation/bullmq.ts';
import { errorFields } from '../../instrumentation/logger.ts';

/** Entries kept at most: a bound against attempts whose end BullMQ never reports. */
const MAX_ENTRIES = 10_000;

/** How an attempt's own code ended, before BullMQ recorded it (or refused to). */
export type AttemptEnd = { readonly outcome: 'success' } | { readonly outcome: 'failure'; readonly error: unknown };

/** One attempt in this process. */
export interface RunningAttempt {
  /** When the processor took the job (hrtime ns), for the attempt's duration. */
  readonly startedAt: bigint;
  /** The attempt's log: its job's ids and attempt number, and its fencing token once it holds a lock. */
  log: JobLog;
  /** Set once the processor returned or threw. */
  end: AttemptEnd | undefined;
  /** Set once `task.lease_lost` was logged (BullMQ reports a failed renewal on every try). */
  leaseLost: boolean;
  /** Set once `task.finish_refused` was logged (BullMQ reports a refusal once per try to move the job). */
  refused: boolean;
}

/** Attempts by job id, with the lines that only they can write with the right ids. */
export class RunningAttempts {
  readonly #byJob = new Map<string, RunningAttempt>();

  /** Register the attempt of `jobId` that started at `startedAt` (replacing an earlier attempt's entry). */
  begin(jobId: string, log: JobLog, startedAt: bigint = process.hrtime.bigint()): RunningAttempt {
    this.#byJob.delete(jobId);
    if (this.#byJob.size >= MAX_ENTRIES) {
      const oldest = this.#byJob.keys().next().value;
      if (oldest !== undefined) this.#byJob.delete(oldest);
    }
    const attempt: RunningAttempt = { startedAt, log, end: undefined, leaseLost: false, refused: false };
    this.#byJob.set(jobId, attempt);
    return attempt;
  }

  /** The attempt of `jobId` in this process, if any. */
  get(jobId: string): RunningAttempt | undefined {
    return this.#byJob.get(jobId);
  }

  /** Forget the attempt of `jobId`: BullMQ recorded its end, or it was handed back. */
  finish(jobId: string): void {
    this.#byJob.delete(jobId);
  }

  /** Attempts whose own code has not ended yet. */
  running(): RunningAttempt[] {
    return [...this.#byJob.values()].filter((attempt) => attempt.end === undefined);
  }

  /** `task.lease_lost`: BullMQ could not renew the job lock of `jobId`. Logged once per attempt. */
  leaseLost(jobId: string, fallback: JobLog): void {
    const attempt = this.get(jobId);
    if (attempt?.leaseLost) return;
    if (attempt) attempt.leaseLost = true;
    (attempt?.log ?? fallback).event(
      'warn',
      EVENTS.TASK_LEASE_LOST,
      {},
      `could not renew the job lock of task ${jobId}: its lease ran out, and the job may be redelivered to another worker while this attempt still runs`,
    );
  }

  /** `task.resumed` on every attempt still running: the event loop stood still for `pausedMs`. */
  resumed(pausedMs: number): void {
    for (const attempt of this.running()) {
      attempt.log.event(
        'warn',
        EVENTS.TASK_RESUMED,
        { [F.EVENT_DURATION]: Math.round(pausedMs * 1e6) },
        `resumed after the process stood still for ${(pausedMs / 1000).toFixed(1)} s while running this attempt; its leases may have run out meanwhile`,
      );
    }
  }

  /**
   * `task.finish_refused`: BullMQ refused to record the end of the attempt of `jobId` (`error`
   * says why: its job lock was gone). Logged once per attempt.
   */
  finishRefused(jobId: string, error: Error, fallback: JobLog): void {
    const attempt = this.get(jobId);
    if (attempt?.refused) return;
    if (attempt) attempt.refused = true;
    const end = attempt?.end;
    const own =
      end === undefined
        ? {}
        : end.outcome === 'success'
          ? { [F.EVENT_OUTCOME]: 'success' }
          : { [F.EVENT_OUTCOME]: 'failure', ...errorFields(end.error) };
    const what = end === undefined ? 'the end' : end.outcome === 'success' ? 'the success' : 'the failure';
    (attempt?.log ?? fallback).event(
      'warn',
      EVENTS.TASK_FINISH_REFUSED,
      // The attempt's own failure (if any) is the error here; BullMQ's refusal is in the message.
      own,
      `the queue refused to record ${what} of this attempt of task ${jobId} (${error.message}): its job lock was gone, so the job belongs to a newer attempt`,
    );
  }
}
