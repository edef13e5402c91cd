/**
 * What the API (producer) and the workers (consumers) agree on: queue names, the shape of a
 * job's data, retry policy and Redis key layout. Only workload/queue talks to BullMQ on the
 * producing side and workload/worker on the consuming side; both import this file.
 */
import type { Priority, TaskType } from '../../contract/vocabulary.ts';
import type { TraceCarrier } from '../../instrumentation/bullmq.ts';

/** Every key dtq keeps in Redis starts with `dtq:`. */
export const REDIS_PREFIX = 'dtq';

/**
 * BullMQ key prefix of one queue: `dtq:{<queue>}`, so the queue's keys are
 * `dtq:{high}:high:wait`, `dtq:{high}:high:<job id>`, … Every BullMQ script touches keys of
 * one queue only (dtq uses no flows across queues), and the hash tag puts all of a queue's
 * keys in one Redis Cluster slot, as BullMQ requires, while each queue gets a slot of its own
 * instead of the whole system sharing one. On a single Redis the tag is just part of the name.
 */
export function queuePrefix(queue: string): string {
  return `${REDIS_PREFIX}:{${queue}}`;
}

/** The Redis key of a queue's list of waiting jobs (what an autoscaler reads). */
export function waitListKey(queue: string): string {
  return `${queuePrefix(queue)}:${queue}:wait`;
}

/** Queue names, one per priority, highest first. */
export const QUEUE_NAMES: Readonly<Record<Priority, string>> = { high: 'high', medium: 'medium', low: 'low' };

/** Where jobs that exhausted their attempts (or were poison) are parked, with their correlation id. */
export const DEAD_LETTER_QUEUE = 'dead-letter';

/** Attempts a job gets before it is dead-lettered (first run included). */
export const DEFAULT_ATTEMPTS = 3;

/** Base of the exponential backoff between attempts, in ms (jittered by the worker's policy). */
export const DEFAULT_BACKOFF_MS = 500;

/**
 * Optional fault injection carried in a task's `data.fault`, honoured only when the API runs
 * with DTQ_FAULTS=1 (the demo, load and test stacks do; production does not, and the API
 * rejects the field otherwise). It lets the demo and tests make retries, dead letters and
 * slow jobs happen on purpose through the real path.
 */
export interface FaultSpec {
  /** Throw a transient error on attempts 1..fail_attempts (retried with backoff). */
  fail_attempts?: number;
  /** Throw a poison (unrecoverable) error on the first attempt: fails at once, dead-lettered. */
  poison?: boolean;
  /** Hold the lock this long after computing and before the fenced write (the window tests freeze or kill a worker in). */
  sleep_ms?: number;
  /** End the sleep_ms pause early once this Redis key exists (a test holds a job, then releases it). */
  sleep_until_key?: string;
  /**
   * The API waits this long after the enqueue before it answers: an Idempotency-Key claim
   * outlives its lease, so another request takes it over while this one still runs.
   */
  hold_response_ms?: number;
}

/**
 * The data of every BullMQ job dtq enqueues. The job id is the task id. The BullMQ
 * instrumentation's carrier (instrumentation/bullmq.ts) holds the X-Request-ID of the request
 * that created the task (`correlation_id`), the W3C traceparent of the API span that enqueued it
 * (absent on jobs from older producers) and the enqueue time (`enqueued_at`, epoch ms).
 */
export interface TaskJobData extends TraceCarrier {
  task_type: TaskType;
  /** The validated payload, defaults applied. */
  data: Record<string, unknown>;
  priority: Priority;
  /** Idempotency-Key of the request that created the task, when the client sent one. */
  idempotency_key?: string;
}

/**
 * The data of a job in the dead-letter queue: what a person needs to understand the failure,
 * and a capped copy of the task's data, never the whole payload (up to 1 MiB).
 */
export interface DeadLetterJobData extends Omit<TaskJobData, 'data'> {
  original_task_id: string;
  original_queue: string;
  attempts: number;
  failed_reason: string;
  /** DTQ error code of the last failure, when it had one. */
  error_code?: string;
  /** Epoch ms of the final failure. */
  failed_at: number;
  /** The task's data as JSON, its first DEAD_LETTER_PAYLOAD_CHARS characters. */
  payload: string;
  /** Length of the whole JSON of the task's data, in characters. */
  payload_chars: number;
  /** True when `payload` is cut short of the whole JSON. */
  truncated: boolean;
}

/** Characters of a task's data kept in its dead letter (and in its failed job). */
export const DEAD_LETTER_PAYLOAD_CHARS = 4096;
