/**
 * The rules of task creation and lookup, between the HTTP routes and the queue module:
 * validate, apply back-pressure, enqueue under the right id, and shape what clients read.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { dtqError } from '../../../contract/dtq-error.ts';
import { formatTraceparent, type SpanContext } from '../../../contract/trace-context.ts';
import { EVENTS, F, type TaskStatus, type TaskType } from '../../../contract/vocabulary.ts';
import { logEvent } from '../../../instrumentation/logger.ts';
import type { IdempotencyClaim } from '../../idempotency/plugin.ts';
import type { FaultSpec } from '../../queue/contract.ts';
import { newTaskId, type TaskQueue, type TaskSnapshot } from '../../queue/task-queue.ts';
import { API_ERRORS } from '../errors.ts';
import { TASK_ID_PATTERN } from '../task-resource.ts';
import type { CircuitBreaker } from './circuit-breaker.ts';
import { type ParseTaskOptions, parseTaskRequest } from './task-request.ts';

/** The 202 answer to a task creation. */
export interface CreatedTask {
  task_id: string;
  status: 'queued';
  correlation_id: string;
}

/** A task as GET /api/v1/tasks/:task_id shows it. */
export interface TaskView {
  task_id: string;
  task_type: string;
  status: TaskStatus;
  priority: string;
  queue: string;
  correlation_id: string;
  attempts: number;
  max_attempts: number;
  enqueued_at: string;
  started_at?: string;
  finished_at?: string;
  result?: unknown;
  error?: { message: string };
}

/** Who is asking: the request's correlation id, logger and idempotency claim. */
export interface RequestContext {
  correlationId: string;
  /** Logger bound to the correlation id. */
  log: Logger;
  idempotency?: IdempotencyClaim | null;
  /** The request's span: the job it enqueues continues its trace. */
  span?: SpanContext;
}

/** Options of {@link createTaskService}. */
export interface TaskServiceOptions {
  queue: TaskQueue;
  breaker: CircuitBreaker;
  /** Accept `data.fault` (DTQ_FAULTS=1). */
  faults: boolean;
  /** Seconds suggested to clients refused by the breaker. */
  retryAfterS: number;
  /** Most steps a task of each type may cost; unlimited when absent. */
  workBudgets?: Readonly<Record<TaskType, number>>;
}

/** Task creation and lookup. */
export interface TaskService {
  create(body: unknown, context: RequestContext): Promise<CreatedTask>;
  get(taskId: string, context: RequestContext): Promise<TaskView>;
}

/** Build the task service over a queue and a circuit breaker. */
export function createTaskService(options: TaskServiceOptions): TaskService {
  const parseOptions: ParseTaskOptions = {
    allowFaults: options.faults,
    ...(options.workBudgets === undefined ? {} : { workBudgets: options.workBudgets }),
  };
  return {
    async create(body, context) {
      const request = parseTaskRequest(body, parseOptions);
      const admission = await options.breaker.admit(context.log);
      if (admission.open) {
        throw dtqError(API_ERRORS.CIRCUIT_OPEN, {
          queue_depth: admission.depth,
          threshold: options.breaker.threshold,
          retry_after_s: options.retryAfterS,
        });
      }
      const claim = context.idempotency ?? undefined;
      const { taskId } = await options.queue.enqueue(
        {
          taskId: claim?.taskId ?? newTaskId(),
          ...(claim?.reusedTaskId ? { mayExist: true } : {}),
          taskType: request.taskType,
          data: request.data,
          priority: request.priority,
          correlationId: context.correlationId,
          ...(claim === undefined ? {} : { idempotencyKey: claim.key }),
          ...(context.span === undefined ? {} : { traceparent: formatTraceparent(context.span) }),
        },
        context.log,
      );
      const hold = options.faults ? (request.data.fault as FaultSpec | undefined)?.hold_response_ms : undefined;
      if (hold) await sleep(hold);
      return { task_id: taskId, status: 'queued', correlation_id: context.correlationId };
    },

    async get(taskId, context) {
      if (!TASK_ID_PATTERN.test(taskId)) throw dtqError(API_ERRORS.INVALID_TASK_ID, {});
      const task = await options.queue.find(taskId);
      if (task === undefined) throw dtqError(API_ERRORS.TASK_NOT_FOUND, { task_id: taskId });
      logEvent(
        context.log,
        'info',
        EVENTS.TASK_STATUS_READ,
        { [F.TASK_ID]: taskId, [F.TASK_STATUS]: task.status, [F.TASK_QUEUE]: task.queue },
        `task ${taskId} is ${task.status}`,
      );
      return toView(task);
    },
  };
}

function iso(epochMs: number | undefined): string | undefined {
  return epochMs === undefined ? undefined : new Date(epochMs).toISOString();
}

/** Snake-case JSON view of a task snapshot. */
export function toView(task: TaskSnapshot): TaskView {
  const view: TaskView = {
    task_id: task.taskId,
    task_type: task.taskType,
    status: task.status,
    priority: task.priority,
    queue: task.queue,
    correlation_id: task.correlationId,
    attempts: task.attempts,
    max_attempts: task.maxAttempts,
    enqueued_at: iso(task.enqueuedAt) as string,
  };
  const started = iso(task.startedAt);
  if (started !== undefined) view.started_at = started;
  const finished = iso(task.finishedAt);
  if (finished !== undefined) view.finished_at = finished;
  if (task.status === 'succeeded') view.result = task.result;
  if (task.error !== undefined) view.error = { message: task.error };
  return view;
}
