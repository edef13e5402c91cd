/** Worker configuration from environment variables, with defaults. */
import { availableParallelism } from 'node:os';
import { envFlag, envInt, envOptional } from '../../contract/env.ts';
import { defaultInstance } from '../../contract/host.ts';
import { type Priority, TASK_TYPES, type TaskType } from '../../contract/vocabulary.ts';
import { logDirectory } from '../../instrumentation/logger.ts';
import { type MetricsListenOptions, metricsListenFromEnv } from '../../instrumentation/metrics.ts';
import { type RedisTarget, redisTargetFromEnv } from '../queue/redis-target.ts';

/**
 * Default time limit of one computation per task type, in ms. Each is about ten times what
 * the largest task within the API's work budget takes on a loaded laptop core, so only a job
 * that slipped past the budget (or a kernel bug) reaches it.
 */
const DEFAULT_TIME_LIMITS_MS: Readonly<Record<TaskType, number>> = {
  calculate_var: 120_000,
  monte_carlo_pricing: 60_000,
  stress_test: 30_000,
  portfolio_optimization: 120_000,
};

/** The environment variable of a task type's time limit, e.g. DTQ_JOB_TIME_LIMIT_MS_CALCULATE_VAR. */
export function timeLimitVariable(taskType: TaskType): string {
  return `DTQ_JOB_TIME_LIMIT_MS_${taskType.toUpperCase()}`;
}

/** How long dead letters are kept: the newest `maxCount`, none older than `maxAgeS`. */
export interface DeadLetterRetention {
  maxAgeS: number;
  maxCount: number;
}

/** Everything a worker process needs to know. */
export interface WorkerConfig {
  /** service.instance of the lines it writes (DTQ_INSTANCE); default `worker-1@<host>`. */
  instance: string;
  /** Where Redis is: DTQ_REDIS_URL, DTQ_REDIS_CLUSTER_NODES or DTQ_REDIS_SENTINELS (redis-target.ts). */
  redisTarget: RedisTarget;
  logDir: string;
  /** Honour data.fault (DTQ_FAULTS=1). */
  faults: boolean;
  /** Jobs in progress at once, per queue: priority by capacity. */
  concurrency: Record<Priority, number>;
  /** Compute threads (DTQ_WORKER_THREADS, default: cores). */
  threads: number;
  /** Resource lock lease (DTQ_LOCK_TTL_MS). */
  lockTtlMs: number;
  /** How long a `wait` task waits for a held lock before retrying later (DTQ_LOCK_WAIT_MS). */
  lockWaitMs: number;
  /** Single-flight cache lifetime (DTQ_RESULT_CACHE_TTL_MS). */
  cacheTtlMs: number;
  /** BullMQ job lock (DTQ_JOB_LOCK_MS): a silent worker's job is redelivered after this. */
  jobLockMs: number;
  /** BullMQ stalled-job check period (DTQ_STALLED_INTERVAL_MS). */
  stalledIntervalMs: number;
  /** Times a job may stall before it fails (DTQ_MAX_STALLED_COUNT). */
  maxStalledCount: number;
  /** On SIGTERM, how long running jobs may finish before they are handed back (DTQ_SHUTDOWN_GRACE_MS). */
  shutdownGraceMs: number;
  /** Longest one computation of each task type may run before its thread is stopped (DTQ_JOB_TIME_LIMIT_MS_<TYPE>). */
  timeLimitsMs: Record<TaskType, number>;
  /** Dead-letter retention (DTQ_DEAD_LETTER_MAX_AGE_S, DTQ_DEAD_LETTER_MAX_COUNT). */
  deadLetters: DeadLetterRetention;
  /** Where to serve Prometheus metrics (DTQ_WORKER_METRICS_PORT, DTQ_METRICS_HOST); undefined: not served. */
  metrics: MetricsListenOptions | undefined;
}

/** Read the configuration; throws ConfigError naming a bad variable. */
export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const ms = (name: string, fallback: number) => envInt(name, fallback, { min: 1, max: 86_400_000 }, env);
  return {
    instance: envOptional('DTQ_INSTANCE', env) ?? defaultInstance('worker-1', env),
    redisTarget: redisTargetFromEnv(env),
    logDir: logDirectory(env),
    faults: envFlag('DTQ_FAULTS', false, env),
    concurrency: {
      high: envInt('DTQ_WORKER_CONCURRENCY_HIGH', 4, { min: 1, max: 256 }, env),
      medium: envInt('DTQ_WORKER_CONCURRENCY_MEDIUM', 2, { min: 1, max: 256 }, env),
      low: envInt('DTQ_WORKER_CONCURRENCY_LOW', 1, { min: 1, max: 256 }, env),
    },
    threads: envInt('DTQ_WORKER_THREADS', availableParallelism(), { min: 1, max: 256 }, env),
    lockTtlMs: ms('DTQ_LOCK_TTL_MS', 30_000),
    lockWaitMs: ms('DTQ_LOCK_WAIT_MS', 60_000),
    cacheTtlMs: ms('DTQ_RESULT_CACHE_TTL_MS', 3_600_000),
    jobLockMs: ms('DTQ_JOB_LOCK_MS', 30_000),
    stalledIntervalMs: ms('DTQ_STALLED_INTERVAL_MS', 30_000),
    maxStalledCount: envInt('DTQ_MAX_STALLED_COUNT', 1, { min: 0, max: 100 }, env),
    shutdownGraceMs: ms('DTQ_SHUTDOWN_GRACE_MS', 10_000),
    timeLimitsMs: Object.fromEntries(
      TASK_TYPES.map((type) => [type, ms(timeLimitVariable(type), DEFAULT_TIME_LIMITS_MS[type])]),
    ) as Record<TaskType, number>,
    deadLetters: {
      maxAgeS: envInt('DTQ_DEAD_LETTER_MAX_AGE_S', 7 * 24 * 3600, { min: 1, max: 365 * 24 * 3600 }, env),
      maxCount: envInt('DTQ_DEAD_LETTER_MAX_COUNT', 1000, { min: 1, max: 1_000_000 }, env),
    },
    metrics: metricsListenFromEnv('DTQ_WORKER_METRICS_PORT', env),
  };
}
