/**
 * The producing side of the task queues: the only code outside the worker that talks to BullMQ.
 * It enqueues tasks (job id = task id), finds a task across the three priority queues and
 * reports queue depths. Every operation fails fast with a DtqError (503) while Redis is down or
 * slow, so callers never hang.
 */
import { randomUUID } from 'node:crypto';
import { type Job, type JobsOptions, Queue } from 'bullmq';
import type { Logger } from 'pino';
import { DtqError, dtqError } from '../../contract/dtq-error.ts';
import { EVENTS, F, PRIORITIES, type Priority, type TaskStatus, type TaskType } from '../../contract/vocabulary.ts';
import { logTaskEnqueued } from '../../instrumentation/bullmq.ts';
import { logEvent } from '../../instrumentation/logger.ts';
import { DEFAULT_ATTEMPTS, DEFAULT_BACKOFF_MS, QUEUE_NAMES, queuePrefix, type TaskJobData } from './contract.ts';
import { QUEUE_ERRORS } from './errors.ts';
import { createProducerRedis, type ProducerRedis } from './redis-connection.ts';
import type { RedisTarget } from './redis-target.ts';
import { taskStatusOf } from './task-status.ts';

/** Fraction of each backoff delay that is randomised, so retries of a burst do not align. */
export const BACKOFF_JITTER = 0.5;
/** How long finished jobs stay readable through GET /api/v1/tasks/:id. */
export const COMPLETED_RETENTION_S = 24 * 3600;
/** How long failed jobs stay readable (they are also copied to the dead-letter queue). */
export const FAILED_RETENTION_S = 7 * 24 * 3600;
/** Most failed jobs kept per queue (the newest); with their payload capped by the worker, a few KiB each. */
export const FAILED_RETENTION_COUNT = 10_000;
/** Default deadline of one queue operation before it is reported as a Redis timeout. */
export const DEFAULT_OPERATION_TIMEOUT_MS = 900;

/** Options of every task job; each add gives its own jobId. */
const TASK_JOB_OPTIONS: Readonly<JobsOptions> = {
  attempts: DEFAULT_ATTEMPTS,
  backoff: { type: 'exponential', delay: DEFAULT_BACKOFF_MS, jitter: BACKOFF_JITTER },
  removeOnComplete: { age: COMPLETED_RETENTION_S },
  removeOnFail: { age: FAILED_RETENTION_S, count: FAILED_RETENTION_COUNT },
};

/** What to enqueue. */
export interface EnqueueRequest {
  /** Job id; a fresh one from {@link newTaskId} unless an idempotency claim fixed it. */
  taskId: string;
  /** The task id may name a job that exists already (an idempotency claim reused it): check what the add did. */
  mayExist?: boolean;
  taskType: TaskType;
  data: Record<string, unknown>;
  priority: Priority;
  correlationId: string;
  idempotencyKey?: string;
  /** W3C traceparent of the enqueuing span, carried in the job data. */
  traceparent?: string;
}

/** A task as the API reports it. */
export interface TaskSnapshot {
  taskId: string;
  taskType: TaskType;
  priority: Priority;
  queue: string;
  status: TaskStatus;
  correlationId: string;
  /** Attempts started so far. */
  attempts: number;
  maxAttempts: number;
  enqueuedAt: number;
  startedAt?: number;
  finishedAt?: number;
  result?: unknown;
  /** Reason of the last failure (also while a retry is pending); never on a succeeded task. */
  error?: string;
}

/** Jobs by state in one queue. */
export interface QueueCounts {
  waiting: number;
  delayed: number;
  active: number;
  failed: number;
}

/** Options of {@link createTaskQueue}. */
export interface TaskQueueOptions {
  /** Where Redis is (a string is a URL). */
  redis: RedisTarget | string;
  /** Process logger: outages and recoveries of Redis are logged here. */
  logger: Logger;
  /** Deadline of one operation (default {@link DEFAULT_OPERATION_TIMEOUT_MS}). */
  operationTimeoutMs?: number;
}

/** The producer's handle on the three priority queues. */
export interface TaskQueue {
  /** Add a task to the queue of its priority and log `task.enqueued` on `log`, a logger bound to the correlation id. */
  enqueue(request: EnqueueRequest, log: Logger): Promise<{ taskId: string; queue: string }>;
  /** The task with this id in any of the three queues, or undefined. */
  find(taskId: string): Promise<TaskSnapshot | undefined>;
  /** Job counts of each priority queue. */
  counts(): Promise<Record<Priority, QueueCounts>>;
  /** Jobs not yet started, summed over the three queues (waiting + delayed). */
  backlog(): Promise<number>;
  /** True while the Redis connection is up (no I/O). */
  isAvailable(): boolean;
  close(): Promise<void>;
}

/** A fresh task id: a UUID (BullMQ job ids must not contain ':'). */
export function newTaskId(): string {
  return randomUUID();
}

/** Connect to Redis and open the three priority queues. */
export function createTaskQueue(options: TaskQueueOptions): TaskQueue {
  const redis = createProducerRedis(options.redis, options.logger);
  const timeoutMs = options.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS;
  const open = (priority: Priority): Queue<TaskJobData> => {
    const queue = new Queue<TaskJobData>(QUEUE_NAMES[priority], {
      connection: redis.client,
      prefix: queuePrefix(QUEUE_NAMES[priority]),
    });
    // A Queue re-emits connection errors; without a listener EventEmitter would throw them.
    // The connection module already logs the outage once, so they are dropped here.
    queue.on('error', () => {});
    return queue;
  };
  const queues: Record<Priority, Queue<TaskJobData>> = { high: open('high'), medium: open('medium'), low: open('low') };
  const guard = <T>(
    operation: string,
    run: () => Promise<T>,
    inFlight?: (reason: string, cause?: unknown) => DtqError,
  ): Promise<T> => guarded(redis, operation, timeoutMs, run, inFlight);

  // One getCounts script per queue; the three run concurrently (one round trip on the wire).
  const counts = (): Promise<Record<Priority, QueueCounts>> =>
    guard('counts', async () => {
      const entries = await Promise.all(
        PRIORITIES.map(async (p) => {
          const c = await queues[p].getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'failed');
          const counted: QueueCounts = {
            waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
            delayed: c.delayed ?? 0,
            active: c.active ?? 0,
            failed: c.failed ?? 0,
          };
          return [p, counted] as const;
        }),
      );
      return Object.fromEntries(entries) as Record<Priority, QueueCounts>;
    });

  return {
    enqueue: (request, log) =>
      guard(
        'enqueue',
        async () => {
          const queue = queues[request.priority];
          const data: TaskJobData = {
            task_type: request.taskType,
            data: request.data,
            priority: request.priority,
            correlation_id: request.correlationId,
            ...(request.idempotencyKey === undefined ? {} : { idempotency_key: request.idempotencyKey }),
            ...(request.traceparent === undefined ? {} : { traceparent: request.traceparent }),
            enqueued_at: Date.now(),
          };
          await queue.add(request.taskType, data, { ...TASK_JOB_OPTIONS, jobId: request.taskId });
          const creator = request.mayExist ? await existingCreator(queue, request.taskId, data) : undefined;
          if (creator !== undefined) {
            logEvent(
              log,
              'info',
              EVENTS.TASK_ALREADY_ENQUEUED,
              {
                // correlation_id comes from `log`'s bindings: writing it here too would make a line
                // with a duplicate key, which Elasticsearch rejects.
                [F.TASK_ID]: request.taskId,
                [F.TASK_TYPE]: request.taskType,
                [F.TASK_QUEUE]: queue.name,
                [F.TASK_PRIORITY]: request.priority,
                [F.TASK_MAX_ATTEMPTS]: DEFAULT_ATTEMPTS,
                ...(request.idempotencyKey === undefined ? {} : { [F.IDEMPOTENCY_KEY]: request.idempotencyKey }),
                [F.ORIGINAL_TASK_ID]: request.taskId,
                [F.ORIGINAL_CORRELATION_ID]: creator,
              },
              `task ${request.taskId} was already on ${queue.name} (enqueued by request ${creator}): this enqueue was a no-op`,
            );
          } else {
            logTaskEnqueued(log, {
              taskId: request.taskId,
              taskType: request.taskType,
              queue: queue.name,
              priority: request.priority,
              maxAttempts: DEFAULT_ATTEMPTS,
              ...(request.idempotencyKey === undefined
                ? {}
                : { fields: { [F.IDEMPOTENCY_KEY]: request.idempotencyKey } }),
            });
          }
          return { taskId: request.taskId, queue: queue.name };
        },
        (reason, cause) => dtqError(QUEUE_ERRORS.ENQUEUE_OUTCOME_UNKNOWN, { task_id: request.taskId, reason }, cause),
      ),

    find: (taskId) =>
      guard('find', async () => {
        // State first, then the hash: the hash is then at least as new as the state, so a
        // status never runs ahead of what it reports (finished without its result, running
        // without its attempt). At worst the status lags by one poll.
        const states = await Promise.all(PRIORITIES.map((p) => queues[p].getJobState(taskId)));
        const statuses = states.map(taskStatusOf);
        const index = statuses.findIndex((status) => status !== undefined);
        const priority = PRIORITIES[index];
        const status = statuses[index];
        if (priority === undefined || status === undefined) return undefined;
        const job = await queues[priority].getJob(taskId);
        return job === undefined ? undefined : snapshot(job, status);
      }),

    counts,

    backlog: async () => {
      let total = 0;
      for (const c of Object.values(await counts())) total += c.waiting + c.delayed;
      return total;
    },

    isAvailable: () => redis.isAvailable(),

    close: async () => {
      await Promise.allSettled(Object.values(queues).map((q) => q.close()));
      await redis.close();
    },
  };
}

/**
 * BullMQ's add of an id that exists already leaves the job as it was and says nothing. Read the
 * job back: if its data is not what this add wrote, the add was a no-op, and the job's
 * correlation id names the request that created it. Undefined when this add created the job
 * (or the job is gone, which tells nothing).
 */
async function existingCreator(
  queue: Queue<TaskJobData>,
  taskId: string,
  ours: TaskJobData,
): Promise<string | undefined> {
  const job = await queue.getJob(taskId);
  if (job === undefined) return undefined;
  const same = job.data.correlation_id === ours.correlation_id && job.data.enqueued_at === ours.enqueued_at;
  return same ? undefined : job.data.correlation_id;
}

function snapshot(job: Job<TaskJobData>, status: TaskStatus): TaskSnapshot {
  const data = job.data;
  return {
    taskId: job.id as string,
    taskType: data.task_type,
    priority: data.priority,
    queue: job.queueName,
    status,
    correlationId: data.correlation_id,
    attempts: job.attemptsStarted ?? job.attemptsMade,
    maxAttempts: job.opts.attempts ?? 1,
    enqueuedAt: data.enqueued_at ?? job.timestamp,
    ...(job.processedOn ? { startedAt: job.processedOn } : {}),
    ...(job.finishedOn && (status === 'succeeded' || status === 'failed') ? { finishedAt: job.finishedOn } : {}),
    ...(status === 'succeeded' ? { result: job.returnvalue } : {}),
    // BullMQ keeps the reason of a failed attempt after a later one succeeds: result or error.
    ...(job.failedReason && status !== 'succeeded' ? { error: job.failedReason } : {}),
  };
}

/**
 * Run one queue operation with the fail-fast rules: refuse at once while the connection is
 * down, and give up after `timeoutMs` (BullMQ waits for a connection that is not ready yet).
 */
async function guarded<T>(
  redis: ProducerRedis,
  operation: string,
  timeoutMs: number,
  run: () => Promise<T>,
  inFlight?: (reason: string, cause?: unknown) => DtqError,
): Promise<T> {
  if (!redis.isAvailable()) throw dtqError(QUEUE_ERRORS.REDIS_UNAVAILABLE, { reason: redis.lastError(), operation });
  // From here on the command may have reached Redis: a failure is the operation's to name.
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          inFlight?.(`no answer within ${timeoutMs} ms`) ??
            dtqError(QUEUE_ERRORS.REDIS_TIMEOUT, { operation, timeoutMs }),
        ),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([run(), deadline]);
  } catch (error) {
    if (error instanceof DtqError || !isConnectionFailure(redis, error)) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw inFlight?.(reason, error) ?? dtqError(QUEUE_ERRORS.REDIS_UNAVAILABLE, { reason, operation }, error);
  } finally {
    clearTimeout(timer);
  }
}

const CONNECTION_FAILURE = /connection|stream isn't writeable|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|timed out/i;

function isConnectionFailure(redis: ProducerRedis, error: unknown): boolean {
  return !redis.isAvailable() || (error instanceof Error && CONNECTION_FAILURE.test(error.message));
}
