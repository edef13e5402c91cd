/**
 * The log of one job: every line carries the job's context (correlation id, task id, type,
 * queue, priority, trace id, then lock fields as they become known).
 *
 * The context is merged into each line's fields as one object instead of being bound with
 * pino's `child()`: pino writes a child's bound fields and the line's own fields side by side
 * without merging them, so a field given again on a line appeared twice in the JSON, and
 * Elasticsearch refuses such a document whole (a `task.dead_lettered` line was lost that way).
 * With one object a key can occur only once; a line's own field replaces the context's.
 */
import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import { parseTraceparent } from '../../contract/trace-context.ts';
import { type EventName, F } from '../../contract/vocabulary.ts';
import { type EventFields, logEvent } from '../../instrumentation/logger.ts';
import type { TaskJobData } from '../queue/contract.ts';

/** Levels a job's line can have. */
export type JobLogLevel = Parameters<typeof logEvent>[1];

/** Lines about one job, each with the job's context fields exactly once. */
export class JobLog {
  readonly #logger: Logger;
  readonly #context: EventFields;

  constructor(logger: Logger, context: EventFields) {
    this.#logger = logger;
    this.#context = context;
  }

  /** The same log with more context fields. */
  with(fields: EventFields): JobLog {
    return new JobLog(this.#logger, { ...this.#context, ...fields });
  }

  /** Write one event line: the context, then the line's own fields. */
  event(level: JobLogLevel, action: EventName, fields: EventFields, message: string): void {
    logEvent(this.#logger, level, action, { ...this.#context, ...fields }, message);
  }
}

/**
 * The log of a BullMQ job: every line carries its correlation id, task id, type, queue and
 * priority, and, when the job data holds a valid traceparent, its trace id and the enqueuing
 * span as parent.id. A job without one (an older producer) or with a malformed one logs neither.
 */
export function jobLog(logger: Logger, job: Job<TaskJobData>): JobLog {
  const trace = parseTraceparent(job.data.traceparent);
  return new JobLog(logger, {
    [F.CORRELATION_ID]: job.data.correlation_id,
    [F.TASK_ID]: job.id,
    [F.TASK_TYPE]: job.data.task_type,
    [F.TASK_QUEUE]: job.queueName,
    [F.TASK_PRIORITY]: job.data.priority,
    ...(trace === undefined ? {} : { [F.TRACE_ID]: trace.traceId, [F.PARENT_ID]: trace.parentId }),
  });
}
