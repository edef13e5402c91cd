/**
 * What the workers do around a job, from BullMQ's worker events. The lifecycle lines (completed,
 * failed, retry scheduled, dead-lettered, stalled) are the BullMQ instrumentation's
 * (instrumentation/bullmq.ts); this adds the workload's own part: metrics, the attempt registry,
 * the ready-at record a retry's queue wait is measured from, the dead-letter queue and its
 * retention, and the lines about lost leases and refused finishes.
 */
import { type Job, Queue, type Worker } from 'bullmq';
import type { Logger } from 'pino';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { instrumentWorker, type JobLog, jobIdLog } from '../../instrumentation/bullmq.ts';
import { errorFields, logEvent } from '../../instrumentation/events.ts';
import { DEAD_LETTER_QUEUE, type DeadLetterJobData, queuePrefix, type TaskJobData } from '../queue/contract.ts';
import type { RedisClient } from '../queue/redis-client.ts';
import type { RunningAttempts } from './attempts.ts';
import type { DeadLetterRetention } from './config.ts';
import { deadLetterRecord, failedJobData, trimDeadLetters } from './dead-letter.ts';
import { isRedisUnreachable } from './errors.ts';
import type { WorkerMetrics } from './metrics.ts';
import type { TaskOutcome } from './outcome.ts';
import { overtakenError } from './overtaken-errors.ts';
import { recordReadyAt } from './ready-at.ts';

/** Handles shared by every queue's worker. */
export interface LifecycleDeps {
  logger: Logger;
  redis: RedisClient;
  deadLetter: Queue<DeadLetterJobData>;
  /** How many dead letters are kept, and for how long. */
  deadLetterRetention: DeadLetterRetention;
  /** The producer-side handle of a task queue by name (to read a stalled job's data). */
  queueFor: (name: string) => Queue<TaskJobData>;
  /** This process's attempts: their start, and their logs for the lines BullMQ's events give only a job id for. */
  attempts: RunningAttempts;
  metrics: WorkerMetrics;
}

/** Open the dead-letter queue on a BullMQ connection. */
export function openDeadLetterQueue(connection: RedisClient): Queue<DeadLetterJobData> {
  const queue = new Queue<DeadLetterJobData>(DEAD_LETTER_QUEUE, { connection, prefix: queuePrefix(DEAD_LETTER_QUEUE) });
  queue.on('error', () => {});
  return queue;
}

function durationNs(deps: LifecycleDeps, job: Job<TaskJobData>): number {
  const started = deps.attempts.get(String(job.id))?.startedAt;
  return started === undefined ? 0 : Number(process.hrtime.bigint() - started);
}

/** Attach the lifecycle listeners to one queue's worker. */
export function attachLifecycleEvents(worker: Worker<TaskJobData, TaskOutcome>, deps: LifecycleDeps): void {
  instrumentWorker(worker, {
    logger: deps.logger,
    attemptDurationNs: (job) => durationNs(deps, job),
    completedNote: (_job, outcome) => outcome?.status ?? 'computed',
    onCompleted: (job, outcome, duration) => {
      deps.attempts.finish(String(job.id));
      deps.metrics.attemptFinished(job.data.task_type, outcome?.status ?? 'computed', duration / 1e9);
    },
    onFailed: (job, _error, duration) => {
      deps.attempts.finish(String(job.id));
      deps.metrics.attemptFinished(job.data.task_type, 'failed', duration / 1e9);
    },
    beforeRetry: async (job, delay) => {
      deps.metrics.retryScheduled(job.data.task_type);
      await recordReadyAt(deps.redis, String(job.id), Date.now() + delay);
    },
    deadLetter: {
      queue: DEAD_LETTER_QUEUE,
      move: (job, error, log) => moveToDeadLetter(deps, job, error, log),
      after: (job, log) => capAndTrim(deps, job, log),
    },
    beforeStalled: async (jobId, queue) => {
      deps.metrics.stalled(queue);
      await recordReadyAt(deps.redis, jobId, Date.now());
    },
    getJob: (jobId, queue) => deps.queueFor(queue).getJob(jobId),
  });

  // A job id and no more: the attempt's own log (from the registry) supplies its ids.
  const unknownAttempt = (jobId: string) => jobIdLog(deps.logger, jobId, worker.name);
  worker.on('lockRenewalFailed', (jobIds) => {
    for (const jobId of jobIds) deps.attempts.leaseLost(jobId, unknownAttempt(jobId));
  });

  worker.on('error', (error) => {
    // Connection errors repeat on every reconnect attempt; the connection's own listener in
    // main.ts logs the outage and the recovery once each.
    if (isRedisUnreachable(error)) return;
    const overtaken = overtakenError(error);
    // A failed renewal was logged as task.lease_lost from 'lockRenewalFailed', which BullMQ emits with it.
    if (overtaken?.kind === 'lease_lost') return;
    if (overtaken?.kind === 'finish_refused') {
      deps.attempts.finishRefused(overtaken.jobId, error, unknownAttempt(overtaken.jobId));
      return;
    }
    logEvent(
      deps.logger,
      'warn',
      EVENTS.WORKER_ERROR,
      { [F.TASK_QUEUE]: worker.name, ...errorFields(error) },
      `worker error on ${worker.name}: ${error.message}`,
    );
  });
}

/** Copy a job that failed for good to the dead-letter queue; false (and a line saying why) when Redis refused. */
async function moveToDeadLetter(
  deps: LifecycleDeps,
  job: Job<TaskJobData>,
  error: Error,
  log: JobLog,
): Promise<boolean> {
  try {
    // Job id = task id: a second copy (two workers racing on a stalled job) is dropped by BullMQ.
    await deps.deadLetter.add('dead-letter', deadLetterRecord(job, error, Date.now()), {
      jobId: String(job.id),
      removeOnComplete: false,
      removeOnFail: false,
    });
    deps.metrics.deadLettered(job.data.task_type);
    return true;
  } catch (dlqError) {
    log.event(
      'error',
      EVENTS.DEPENDENCY_UNAVAILABLE,
      { [F.DEPENDENCY_NAME]: 'redis', ...errorFields(dlqError) },
      `could not dead-letter task ${job.id}`,
    );
    return false;
  }
}

/** The failed job keeps only a capped payload, and the dead-letter queue its retention. */
async function capAndTrim(deps: LifecycleDeps, job: Job<TaskJobData>, log: JobLog): Promise<void> {
  try {
    // The failed job stays readable for its retention, without the payload the dead letter caps.
    await job.updateData(failedJobData(job.data));
    await trimDeadLetters(deps.deadLetter, deps.deadLetterRetention);
  } catch (trimError) {
    log.event(
      'warn',
      EVENTS.DEPENDENCY_UNAVAILABLE,
      { [F.DEPENDENCY_NAME]: 'redis', ...errorFields(trimError) },
      `could not cap the payload of task ${job.id} or trim the ${DEAD_LETTER_QUEUE} queue; the next dead letter trims it`,
    );
  }
}
