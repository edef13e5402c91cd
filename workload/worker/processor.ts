/**
 * The job handler: one BullMQ job from start to result, logged with its correlation id and
 * task id on every line.
 *
 * Order: log start → injected faults → re-validate the data (poison on failure) → result cache
 * → lock (wait or skip per task type) → cache again (the holder we waited for may have just
 * computed it) → compute on a thread, abandoned if the lease is lost → (injected pause) →
 * fenced write → release. The injected pause (`fault.sleep_ms`) sits between computing and
 * writing: that is the window in which a worker that froze (GC pause, SIGSTOP) would write a
 * stale result, so it is where tests freeze a worker to show the fencing check at work. A
 * finished result is still offered to the store after the lease is lost — only the fencing
 * check can tell whether a newer holder has the lock, and a worker can never be sure its lease
 * is still valid at the instant its write lands anyway.
 */
import { type Job, WaitingError } from 'bullmq';
import type { Logger } from 'pino';
import { type DtqError, dtqError } from '../../contract/dtq-error.ts';
import { EVENTS, F, TASK_TYPES } from '../../contract/vocabulary.ts';
import { type JobLog, jobLog, logTaskStarted } from '../../instrumentation/bullmq.ts';
import { LOCK_ERRORS } from '../locks/errors.ts';
import { acquireOrWait, type LockRecord, tryAcquire } from '../locks/lock.ts';
import {
  CONTENTION_POLICY,
  inputsHash,
  lockResource,
  portfolioIdOf,
  resolveSeed,
  withoutFault,
} from '../locks/resources.ts';
import { readCachedResult, writeFencedResult } from '../locks/result-store.ts';
import type { TaskJobData } from '../queue/contract.ts';
import type { RedisClient } from '../queue/redis-client.ts';
import { isTaskType, validateTaskData } from '../tasks/validate-task.ts';
import type { RunningAttempt, RunningAttempts } from './attempts.ts';
import { timeLimitVariable, type WorkerConfig } from './config.ts';
import { isPoisonCode, poison, toJobError, WORKER_ERRORS } from './errors.ts';
import { faultOf, injectedPause, injectFailure } from './faults.ts';
import type { WorkerMetrics } from './metrics.ts';
import type { TaskOutcome } from './outcome.ts';
import { readyAt } from './ready-at.ts';
import type { ThreadPool } from './thread-pool.ts';

/** Reason given to a job's abort controller when the process shuts down. */
export const SHUTDOWN_REASON = 'worker shutting down';

/** What the processor needs. */
export interface ProcessorDeps {
  config: WorkerConfig;
  logger: Logger;
  /** Connection for locks, results and bookkeeping (fail-fast, not BullMQ's). */
  redis: RedisClient;
  pool: ThreadPool;
  /** Jobs running in this process, so shutdown can hand them back. */
  running: Map<string, AbortController>;
  /** Each attempt's start and log until BullMQ recorded its end, for durations and lines written outside the processor. */
  attempts: RunningAttempts;
  /** True once the process is shutting down. */
  stopping: () => boolean;
  metrics: WorkerMetrics;
}

/** Build the BullMQ processor function. */
export function createProcessor(deps: ProcessorDeps) {
  return async (job: Job<TaskJobData>, token?: string): Promise<TaskOutcome> => {
    const taskId = String(job.id);
    if (deps.stopping() && token !== undefined) {
      // BullMQ can still hand over a job that arrived just as the worker closed: give it back
      // untouched, so "no new jobs after SIGTERM" holds exactly.
      await job.moveToWait(token);
      jobLog(deps.logger, job).event('info', EVENTS.SERVICE_STOPPING, {}, `task ${taskId} handed back unstarted`);
      throw new WaitingError();
    }
    const started = process.hrtime.bigint();
    const controller = new AbortController();
    deps.running.set(taskId, controller);
    const log = jobLog(deps.logger, job).with({ [F.TASK_ATTEMPT]: job.attemptsStarted });
    const attempt = deps.attempts.begin(taskId, log, started);
    try {
      logTaskStarted(log, job, await readyAt(deps.redis, taskId, job.data.enqueued_at));
      const outcome = await run(deps, job, attempt, controller.signal);
      attempt.end = { outcome: 'success' };
      return outcome;
    } catch (error) {
      attempt.end = { outcome: 'failure', error };
      if (controller.signal.aborted && controller.signal.reason === SHUTDOWN_REASON && token !== undefined) {
        // Hand the job back to the queue without spending an attempt: another worker takes it.
        deps.attempts.finish(taskId);
        await job.moveToWait(token);
        log.event('warn', EVENTS.SERVICE_STOPPING, {}, `task ${taskId} handed back to ${job.queueName} on shutdown`);
        throw new WaitingError();
      }
      throw toJobError(error);
    } finally {
      deps.running.delete(taskId);
    }
  };
}

async function run(
  deps: ProcessorDeps,
  job: Job<TaskJobData>,
  attempt: RunningAttempt,
  stop: AbortSignal,
): Promise<TaskOutcome> {
  const { config, redis } = deps;
  const log = attempt.log;
  const taskId = String(job.id);
  const { task_type: taskType, correlation_id: correlationId } = job.data;
  const fault = faultOf(job.data.data ?? {}, config.faults);
  injectFailure(fault, job.attemptsMade + 1);

  if (!isTaskType(taskType)) {
    throw poison(
      dtqError(WORKER_ERRORS.INVALID_DATA, { field: 'task_type', expected: `one of ${TASK_TYPES.join(', ')}` }),
    );
  }
  const validation = validateTaskData(taskType, job.data.data, { allowFaults: config.faults });
  if (!validation.ok) throw poison(dtqError(WORKER_ERRORS.INVALID_DATA, { ...validation.problem }));
  const data = withoutFault(validation.data);
  const seed = resolveSeed(taskType, data);
  const hash = inputsHash(taskType, data);
  const resource = lockResource(taskType, data);
  const portfolioId = portfolioIdOf(data);
  const lockLog = log.with({
    [F.LOCK_RESOURCE]: resource,
    [F.RESULT_KEY]: hash,
    ...(portfolioId === undefined ? {} : { [F.PORTFOLIO_ID]: portfolioId }),
  });

  const cached = await cacheHit(redis, hash, lockLog, resource);
  if (cached) return cached;

  const holder = { task_id: taskId, correlation_id: correlationId };
  let lostLogged = false;
  let heldFence: number | undefined;
  const leaseOptions = {
    ttlMs: config.lockTtlMs,
    onLost: (reason: string) => {
      lostLogged = true;
      const fence = heldFence === undefined ? {} : { [F.LOCK_FENCING_TOKEN]: heldFence };
      lockLog.event('warn', EVENTS.LOCK_LOST, fence, `lease on ${resource} lost: ${reason}`);
    },
  };
  const policy = CONTENTION_POLICY[taskType];
  // acquireLock-2.lua takes a lock of an earlier attempt of this same job over at once, so a
  // contended lock is always held by another task.
  const onContended = (original: LockRecord | undefined) => {
    deps.metrics.lockContended(taskType, policy);
    lockLog.event(
      'info',
      EVENTS.LOCK_CONTENDED,
      {
        ...(original
          ? { [F.ORIGINAL_TASK_ID]: original.task_id, [F.ORIGINAL_CORRELATION_ID]: original.correlation_id }
          : {}),
      },
      `${resource} is locked by task ${original?.task_id ?? 'unknown'}; policy: ${policy}`,
    );
  };
  const waitStarted = Date.now();
  const waitForLock = () =>
    acquireOrWait(redis, resource, holder, {
      ...leaseOptions,
      maxWaitMs: config.lockWaitMs,
      onContended,
      signal: stop,
    });
  const acquisition = policy === 'wait' ? await waitForLock() : await tryAcquire(redis, resource, holder, leaseOptions);
  if (!acquisition.acquired) {
    if (policy === 'wait') {
      throw dtqError(LOCK_ERRORS.WAIT_TIMEOUT, {
        resource,
        holder: acquisition.holder?.task_id ?? 'unknown',
        waited_ms: Date.now() - waitStarted,
      });
    }
    onContended(acquisition.holder);
    return {
      status: 'already_processing',
      lock_resource: resource,
      ...(acquisition.holder
        ? {
            original_task_id: acquisition.holder.task_id,
            original_correlation_id: acquisition.holder.correlation_id,
          }
        : {}),
    };
  }
  const lease = acquisition.lease;
  heldFence = lease.fence;
  const heldSince = process.hrtime.bigint();
  const fenced = lockLog.with({ [F.LOCK_FENCING_TOKEN]: lease.fence });
  // Lines written about this attempt from outside (lease lost, resumed, finish refused) name its token too.
  attempt.log = fenced;
  const takenOver =
    acquisition.takenOverFence === undefined
      ? ''
      : `, taken over from an earlier attempt (token ${acquisition.takenOverFence})`;
  fenced.event(
    'info',
    EVENTS.LOCK_ACQUIRED,
    {},
    `lock on ${resource} acquired with fencing token ${lease.fence}${takenOver}`,
  );
  try {
    const again = await cacheHit(redis, hash, fenced, resource);
    if (again) return again;

    const work = AbortSignal.any([lease.signal, stop]);
    let result: unknown;
    try {
      result = await deps.pool.run(
        { taskType, data, seed },
        {
          priority: job.data.priority,
          signal: work,
          timeLimitMs: config.timeLimitsMs[taskType],
          timeLimitVariable: timeLimitVariable(taskType),
        },
      );
    } catch (error) {
      if (stop.aborted) throw error;
      if (lease.lost) throw dtqError(LOCK_ERRORS.LOST, { resource, reason: String(lease.signal.reason) });
      const code = (error as { code?: unknown }).code;
      if (isPoisonCode(code)) throw poison(error as DtqError);
      throw error;
    }

    if (fault?.sleep_ms) {
      // Ends early if the lease is lost (the result then goes to the fencing check) or on shutdown.
      await injectedPause(fault, redis, work);
      stop.throwIfAborted();
    }

    const write = await writeFencedResult(redis, {
      resource,
      inputsHash: hash,
      fence: lease.fence,
      result,
      taskId,
      correlationId,
      cacheTtlMs: config.cacheTtlMs,
    });
    if (!write.written) {
      deps.metrics.fencedWriteRejected(taskType);
      fenced.event(
        'warn',
        EVENTS.RESULT_WRITE_REJECTED,
        {},
        `result for ${resource} rejected: fencing token ${lease.fence} is older than ${write.lastFence}, issued to a newer holder`,
      );
      if (!lostLogged) {
        fenced.event('warn', EVENTS.LOCK_LOST, {}, `lease on ${resource} was lost: a newer holder took the lock`);
      }
      throw dtqError(LOCK_ERRORS.WRITE_REJECTED, { resource, fence: lease.fence, last: write.lastFence });
    }
    fenced.event(
      'info',
      EVENTS.RESULT_WRITTEN,
      {},
      `result for ${resource} stored with fencing token ${lease.fence}` +
        (write.previousFence > 0 ? ` (replacing token ${write.previousFence}'s)` : ''),
    );
    return { status: 'computed', result, lock_resource: resource, fencing_token: lease.fence };
  } finally {
    const held = { [F.EVENT_DURATION]: Number(process.hrtime.bigint() - heldSince) };
    const released = await lease.release();
    if (released === 'released') {
      fenced.event('info', EVENTS.LOCK_RELEASED, held, `lock on ${resource} released`);
    } else if (released === 'unreachable') {
      // The holder is done with the resource either way; the key expires by itself.
      fenced.event('warn', EVENTS.LOCK_RELEASED, held, `lock on ${resource} left to expire: Redis unreachable`);
    } else if (!lostLogged) {
      fenced.event('warn', EVENTS.LOCK_LOST, held, `lock on ${resource} was no longer ours at release`);
    }
  }
}

async function cacheHit(
  redis: RedisClient,
  hash: string,
  log: JobLog,
  resource: string,
): Promise<TaskOutcome | undefined> {
  const cached = await readCachedResult(redis, resource, hash);
  if (cached === undefined) return undefined;
  log.event(
    'info',
    EVENTS.RESULT_CACHE_HIT,
    { [F.ORIGINAL_TASK_ID]: cached.task_id, [F.ORIGINAL_CORRELATION_ID]: cached.correlation_id },
    `same inputs already computed by task ${cached.task_id}: returning its result`,
  );
  return {
    status: 'cache_hit',
    result: cached.result,
    original_task_id: cached.task_id,
    original_correlation_id: cached.correlation_id,
    lock_resource: resource,
    fencing_token: cached.fence,
  };
}
