/** The API's configuration, read from environment variables with defaults (see docs/api.md). */
import { envFlag, envInt, envOptional, envString } from '../../contract/env.ts';
import { defaultInstance } from '../../contract/host.ts';
import { TASK_TYPES, type TaskType } from '../../contract/vocabulary.ts';
import { type RedisTarget, redisTargetFromEnv } from '../queue/redis-target.ts';
import { DEFAULT_OPERATION_TIMEOUT_MS } from '../queue/task-queue.ts';
import { DEFAULT_WORK_BUDGET, workBudgetVariable } from '../tasks/work-cost.ts';

/** Largest request body accepted (nginx's client_max_body_size matches it). */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * Largest header block an API parses (Node's maxHeaderSize): above what nginx forwards (4 × 8 KiB
 * of client headers plus its own), so nginx refuses oversized headers first and an API never
 * resets a connection nginx would count as failed.
 */
export const API_MAX_HEADER_BYTES = 64 * 1024;

/** Longest path parameter the router accepts (a task id is at most 128 characters). */
export const MAX_PARAM_LENGTH = 256;

/**
 * Deepest nesting of arrays and objects in a request body (DTQ_API_MAX_BODY_DEPTH): a valid
 * task nests 5 levels (body, data, portfolio_data, correlations, a row).
 */
export const DEFAULT_MAX_BODY_DEPTH = 64;

/** Everything the API process needs to start. */
export interface ApiConfig {
  /** service.instance of this process (DTQ_INSTANCE): api-1, api-2, …; default `api-1@<host>`. */
  instance: string;
  host: string;
  port: number;
  /** Where Redis is: DTQ_REDIS_URL, DTQ_REDIS_CLUSTER_NODES or DTQ_REDIS_SENTINELS (redis-target.ts). */
  redisTarget: RedisTarget;
  /** Accept `data.fault` (fault injection) in tasks. */
  faults: boolean;
  /** Waiting tasks (all queues) above which new tasks get 503 + Retry-After. */
  circuitThreshold: number;
  /** How long one reading of the queue depth is reused by the circuit breaker. */
  circuitCacheMs: number;
  /** Least time between two `queue.depth` lines (DTQ_QUEUE_DEPTH_LOG_MS). */
  queueDepthLogMs: number;
  /** Seconds suggested in Retry-After on 503 answers. */
  retryAfterS: number;
  /** Deadline of one Redis operation in a request. */
  redisTimeoutMs: number;
  /** Deepest nesting of a request body (DTQ_API_MAX_BODY_DEPTH). */
  maxBodyDepth: number;
  /** Most steps a task of each type may cost (DTQ_WORK_BUDGET_<TYPE>). */
  workBudgets: Record<TaskType, number>;
}

/** A `queue.depth` line every 5 s while requests read the depth: a trend, not a line per request. */
export const DEFAULT_QUEUE_DEPTH_LOG_MS = 5000;

/** The default work budget of every task type. */
export function defaultWorkBudgets(): Record<TaskType, number> {
  return Object.fromEntries(TASK_TYPES.map((type) => [type, DEFAULT_WORK_BUDGET])) as Record<TaskType, number>;
}

/** Read the API configuration from `env`; throws ConfigError on an unusable value. */
export function apiConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  return {
    instance: envOptional('DTQ_INSTANCE', env) ?? defaultInstance('api-1', env),
    host: envString('DTQ_API_HOST', '127.0.0.1', env),
    port: envInt('DTQ_API_PORT', 3000, { min: 0, max: 65_535 }, env),
    redisTarget: redisTargetFromEnv(env),
    faults: envFlag('DTQ_FAULTS', false, env),
    circuitThreshold: envInt('DTQ_CIRCUIT_THRESHOLD', 10_000, { min: 0 }, env),
    circuitCacheMs: envInt('DTQ_CIRCUIT_CACHE_MS', 250, { min: 0, max: 60_000 }, env),
    queueDepthLogMs: envInt('DTQ_QUEUE_DEPTH_LOG_MS', DEFAULT_QUEUE_DEPTH_LOG_MS, { min: 0, max: 3_600_000 }, env),
    retryAfterS: envInt('DTQ_RETRY_AFTER_S', 2, { min: 1, max: 3600 }, env),
    redisTimeoutMs: envInt('DTQ_REDIS_TIMEOUT_MS', DEFAULT_OPERATION_TIMEOUT_MS, { min: 10, max: 60_000 }, env),
    maxBodyDepth: envInt('DTQ_API_MAX_BODY_DEPTH', DEFAULT_MAX_BODY_DEPTH, { min: 8, max: 1024 }, env),
    workBudgets: Object.fromEntries(
      TASK_TYPES.map((type) => [type, envInt(workBudgetVariable(type), DEFAULT_WORK_BUDGET, { min: 1 }, env)]),
    ) as Record<TaskType, number>,
  };
}
