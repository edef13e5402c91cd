/**
 * What happens around a job, from BullMQ's worker events: completion, failure (with the retry
 * it schedules or the dead letter it becomes), stalls. Logged here rather than in the
 * processor because only after BullMQ has moved the job do we know the outcome for certain:
 * whether a retry was scheduled and with what delay, or whether the job is finished.
 */
import { type Job, Queue, type Worker } from 'bullmq';
import type { Logger } from 'pino';
import { EVENTS, F, NS_PER_MS } from '../../contract/vocabulary.ts';
import { errorFields, logEvent } from '../../instrumentation/logger.ts';
import { DEAD_LETTER_QUEUE, type DeadLetterJobData, queuePrefix, type TaskJobData } from '../queue/contract.ts';
import type { RedisClient } from '../queue/redis-client.ts';
import type { RunningAttempts } from './attempts.ts';
import type { DeadLetterRetention } from './config.ts';
import { deadLetterRecord, failedJobData, trimDeadLetters } from './dead-letter.ts';
import { JobLog, jobLog } from './job-log.ts';
import type { WorkerMetrics } from './metrics.ts';
import type { TaskOutcome } from './outcome.ts';
import { overtakenError } from './overtaken-errors.ts';
import { recordReadyAt } from './ready-at.ts';

/** Messages of errors that only say Redis is unreachable. */
const CONNECTION_ERROR =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Connection is closed|connect ETIMEDOUT|Stream isn't writeable/i;

/** Handles shared by every queue's worker. */
export interface LifecycleDeps {
  logger: Logger;
  redis: RedisClient;
  deadLetter: Queue<DeadLetterJobData>;
  /** How many dead letters are kept, and for how long. */
  deadLetterRetention: DeadLetterRetention;
  /** The producer-side handle of a task queue by name (to read a stalled job's data). */
  queueFor: (name: string) => Queue<TaskJobData>;
  startedAt: Map<string, bigint>;
  /** This process's attempts, for the lines BullMQ's events give only a job id for. */
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
  const started = deps.startedAt.get(String(job.id));
  deps.startedAt.delete(String(job.id));
  return started === undefined ? 0 : Number(process.hrtime.bigint() - started);
}

/** Attach the lifecycle listeners to one queue's worker. */
export function attachLifecycleEvents(worker: Worker<TaskJobData, TaskOutcome>, deps: LifecycleDeps): void {
  worker.on('completed', (job, outcome) => {
    deps.attempts.finish(String(job.id));
    const log = jobLog(deps.logger, job);
    const duration = durationNs(deps, job);
    deps.metrics.attemptFinished(job.data.task_type, outcome?.status ?? 'computed', duration / 1e9);
    log.event(
      'info',
      EVENTS.TASK_COMPLETED,
      {
        [F.TASK_ATTEMPT]: job.attemptsStarted,
        [F.EVENT_DURATION]: duration,
        [F.EVENT_OUTCOME]: 'success',
        [F.TASK_STATUS]: 'succeeded',
      },
      `task ${job.id} completed (${outcome?.status ?? 'computed'})`,
    );
  });

  worker.on('failed', (job, error) => {
    if (job === undefined) return;
    deps.attempts.finish(String(job.id));
    void onFailed(deps, job, error);
  });

  // A job id and no more: the attempt's own log (from the registry) supplies its ids.
  const unknownAttempt = (jobId: string) =>
    new JobLog(deps.logger, { [F.TASK_ID]: jobId, [F.TASK_QUEUE]: worker.name });
  worker.on('lockRenewalFailed', (jobIds) => {
    for (const jobId of jobIds) deps.attempts.leaseLost(jobId, unknownAttempt(jobId));
  });

  worker.on('stalled', (jobId) => {
    void onStalled(deps, worker, jobId);
  });

  worker.on('error', (error) => {
    // Connection errors repeat on every reconnect attempt; the connection's own listener in
    // main.ts logs the outage and the recovery once each.
    if (CONNECTION_ERROR.test(error.message)) return;
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

async function onFailed(deps: LifecycleDeps, job: Job<TaskJobData>, error: Error): Promise<void> {
  const log = jobLog(deps.logger, job);
  const final = typeof job.finishedOn === 'number';
  const duration = durationNs(deps, job);
  deps.metrics.attemptFinished(job.data.task_type, 'failed', duration / 1e9);
  log.event(
    final ? 'error' : 'warn',
    EVENTS.TASK_FAILED,
    {
      [F.TASK_ATTEMPT]: job.attemptsStarted,
      [F.TASK_MAX_ATTEMPTS]: job.opts.attempts ?? 1,
      [F.EVENT_DURATION]: duration,
      [F.EVENT_OUTCOME]: 'failure',
      ...errorFields(error),
    },
    `task ${job.id} failed on attempt ${job.attemptsStarted}: ${error.message}`,
  );
  if (!final) {
    deps.metrics.retryScheduled(job.data.task_type);
    const delay = job.delay;
    await recordReadyAt(deps.redis, String(job.id), Date.now() + delay);
    log.event(
      'info',
      EVENTS.TASK_RETRY_SCHEDULED,
      { [F.TASK_RETRY_DELAY]: delay * NS_PER_MS, [F.TASK_ATTEMPT]: job.attemptsStarted },
      `task ${job.id} will be retried in ${delay} ms`,
    );
    return;
  }
  const code = (error as { code?: unknown }).code;
  const record = deadLetterRecord(job, error, Date.now());
  try {
    // Job id = task id: a second copy (two workers racing on a stalled job) is dropped by BullMQ.
    await deps.deadLetter.add('dead-letter', record, {
      jobId: String(job.id),
      removeOnComplete: false,
      removeOnFail: false,
    });
    deps.metrics.deadLettered(job.data.task_type);
    log.event(
      'error',
      EVENTS.TASK_DEAD_LETTERED,
      {
        // No task.queue "dead-letter" here: task.queue is the queue the task came from, as on
        // every other line of the task, and the event itself says where it went.
        [F.TASK_ATTEMPT]: job.attemptsStarted,
        ...(typeof code === 'string' ? { [F.ERROR_CODE]: code } : {}),
      },
      `task ${job.id} moved to the ${DEAD_LETTER_QUEUE} queue after ${job.attemptsStarted} attempt(s)`,
    );
  } catch (dlqError) {
    log.event(
      'error',
      EVENTS.DEPENDENCY_UNAVAILABLE,
      { [F.DEPENDENCY_NAME]: 'redis', ...errorFields(dlqError) },
      `could not dead-letter task ${job.id}`,
    );
    return;
  }
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

async function onStalled(deps: LifecycleDeps, worker: Worker<TaskJobData, TaskOutcome>, jobId: string): Promise<void> {
  deps.metrics.stalled(worker.name);
  await recordReadyAt(deps.redis, jobId, Date.now());
  try {
    const job = await deps.queueFor(worker.name).getJob(jobId);
    const log = job
      ? jobLog(deps.logger, job)
      : new JobLog(deps.logger, { [F.TASK_ID]: jobId, [F.TASK_QUEUE]: worker.name });
    log.event(
      'warn',
      EVENTS.TASK_STALLED,
      job ? { [F.TASK_ATTEMPT]: job.attemptsStarted } : {},
      `task ${jobId} stalled (its worker stopped renewing the job lock); it goes back to ${worker.name}`,
    );
  } catch (error) {
    logEvent(
      deps.logger,
      'warn',
      EVENTS.TASK_STALLED,
      { [F.TASK_ID]: jobId, ...errorFields(error) },
      `task ${jobId} stalled`,
    );
  }
}
