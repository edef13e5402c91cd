/**
 * BullMQ instrumentation: the contract's task lines from BullMQ's own extension points.
 *
 * Producer: {@link withTraceContext} puts the correlation id, the enqueuing span's
 * `traceparent` and the enqueue time into the job data; {@link addTracedJob} does that, adds the
 * job and logs `task.enqueued`.
 *
 * Worker: {@link tracedProcessor} (or {@link logTaskStarted} from your processor) opens an
 * attempt with its queue wait;
 * {@link instrumentWorker} listens to the worker's `completed`, `failed` and `stalled` events and
 * logs `task.completed`, `task.failed`, `task.retry_scheduled`, `task.dead_lettered` and
 * `task.stalled`. Those are logged from the events rather than from the processor because only
 * once BullMQ has moved the job is the outcome certain: whether a retry was scheduled, with what
 * delay, or whether the job is finished.
 *
 * Every line about a job carries its correlation id, task id, type, queue and priority, and the
 * trace id and enqueuing span (as parent.id) when the job data holds a valid traceparent.
 */
import type { Job, JobsOptions, Queue, Worker } from 'bullmq';
import type { Logger } from 'pino';
import { parseTraceparent } from '../contract/trace-context.ts';
import { EVENTS, type EventName, F, NS_PER_MS } from '../contract/vocabulary.ts';
import { type EventFields, type EventLevel, errorFields, logEvent } from './events.ts';

/** What the helper carries in a job's data from the producer to the worker. */
export interface TraceCarrier {
  /** The correlation id (X-Request-ID) of the request that enqueued the job. */
  correlation_id: string;
  /** W3C traceparent of the enqueuing span; the worker validates it before use. */
  traceparent?: string;
  /** Epoch ms of the enqueue: the start of the first attempt's queue wait. */
  enqueued_at: number;
}

/** Job data the worker-side helpers read: the carrier, and optionally a task type and a named priority. */
export type TracedJobData = Partial<TraceCarrier> & { task_type?: unknown; priority?: unknown };

/** A job as the worker-side helpers read it. */
export type TracedJob = Pick<
  Job<TracedJobData>,
  'id' | 'name' | 'queueName' | 'data' | 'opts' | 'attemptsStarted' | 'attemptsMade' | 'stalledCounter'
> &
  Partial<Pick<Job<TracedJobData>, 'finishedOn' | 'delay' | 'timestamp'>>;

/** The correlation id and trace context of the code that enqueues. */
export interface TraceContext {
  correlationId: string;
  /** W3C traceparent of the enqueuing span (e.g. `formatTraceparent(spanOf(request))`). */
  traceparent?: string | undefined;
}

/** `data` with the trace carrier added (pure but for the clock). */
export function withTraceContext<T extends object>(data: T, context: TraceContext, now = Date.now()): T & TraceCarrier {
  return {
    ...data,
    correlation_id: context.correlationId,
    ...(context.traceparent === undefined ? {} : { traceparent: context.traceparent }),
    enqueued_at: now,
  };
}

/** What a `task.enqueued` line says about the job. */
export interface EnqueuedJob {
  taskId: string;
  taskType: string;
  queue: string;
  /** A named priority (e.g. `high`), when the system has them. */
  priority?: string | undefined;
  maxAttempts: number;
  /** More fields for the line (e.g. an idempotency key). */
  fields?: EventFields;
}

/**
 * Log `task.enqueued` on `log`, a logger that has the correlation id bound (a Fastify request's
 * logger): the line does not repeat it, since a key written twice makes a line Elasticsearch refuses.
 */
export function logTaskEnqueued(log: Logger, job: EnqueuedJob): void {
  logEvent(
    log,
    'info',
    EVENTS.TASK_ENQUEUED,
    {
      [F.TASK_ID]: job.taskId,
      [F.TASK_TYPE]: job.taskType,
      [F.TASK_QUEUE]: job.queue,
      ...(job.priority === undefined ? {} : { [F.TASK_PRIORITY]: job.priority }),
      [F.TASK_MAX_ATTEMPTS]: job.maxAttempts,
      ...job.fields,
    },
    `task ${job.taskId} enqueued on ${job.queue}`,
  );
}

/**
 * Add a job with the trace carrier in its data, and log `task.enqueued` on `log`: a request's
 * logger (correlation id bound) or any other, which then gets the context's id on the line.
 */
export async function addTracedJob<T extends object>(
  queue: Queue,
  name: string,
  data: T,
  options: JobsOptions & { log: Logger; context: TraceContext },
): Promise<Job> {
  const { log, context, ...jobOptions } = options;
  const job = await queue.add(name, withTraceContext(data, context), jobOptions);
  logTaskEnqueued(log, {
    taskId: String(job.id),
    taskType: name,
    queue: queue.name,
    maxAttempts: jobOptions.attempts ?? 1,
    ...(F.CORRELATION_ID in log.bindings() ? {} : { fields: { [F.CORRELATION_ID]: context.correlationId } }),
  });
  return job;
}

/**
 * Lines about one job, each with the job's context fields exactly once.
 *
 * The context is merged into each line's fields as one object instead of being bound with
 * pino's `child()`: pino writes a child's bound fields and the line's own fields side by side
 * without merging them, so a field given again on a line would appear twice in the JSON, and
 * Elasticsearch refuses such a document whole. With one object a key occurs once; a line's own
 * field replaces the context's.
 */
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
  event(level: EventLevel, action: EventName, fields: EventFields, message: string): void {
    logEvent(this.#logger, level, action, { ...this.#context, ...fields }, message);
  }
}

/**
 * The log of a job: correlation id, task id, task type (`data.task_type` when it is a string,
 * else the job's name), queue, priority (`data.priority` when it is a string), and, when the job
 * data holds a valid traceparent, its trace id and the enqueuing span as parent.id. A job without
 * one (an older producer) or with a malformed one logs neither.
 */
export function jobLog(logger: Logger, job: Pick<TracedJob, 'id' | 'name' | 'queueName' | 'data'>): JobLog {
  const data = job.data;
  const trace = parseTraceparent(data.traceparent);
  return new JobLog(logger, {
    [F.CORRELATION_ID]: data.correlation_id,
    [F.TASK_ID]: job.id,
    [F.TASK_TYPE]: typeof data.task_type === 'string' ? data.task_type : job.name,
    [F.TASK_QUEUE]: job.queueName,
    ...(typeof data.priority === 'string' ? { [F.TASK_PRIORITY]: data.priority } : {}),
    ...(trace === undefined ? {} : { [F.TRACE_ID]: trace.traceId, [F.PARENT_ID]: trace.parentId }),
  });
}

/** The log of a job known only by its id (BullMQ's `stalled` and lock events give no more). */
export function jobIdLog(logger: Logger, jobId: string, queue: string): JobLog {
  return new JobLog(logger, { [F.TASK_ID]: jobId, [F.TASK_QUEUE]: queue });
}

/** True when this attempt runs because a worker stalled on the job, not because an attempt failed. */
export function isRedelivery(job: Pick<TracedJob, 'stalledCounter' | 'attemptsStarted' | 'attemptsMade'>): boolean {
  return job.stalledCounter > 0 && job.attemptsStarted > job.attemptsMade + 1;
}

/**
 * Log `task.started` from the processor, as its first step. `readyAt` is the epoch ms at which
 * the job became ready to run (default: `data.enqueued_at`, else BullMQ's creation time; a
 * retry's backoff then counts as queue wait unless the caller knows better).
 */
export function logTaskStarted(log: JobLog, job: TracedJob, readyAt?: number): void {
  const ready = readyAt ?? job.data.enqueued_at ?? job.timestamp ?? Date.now();
  const redelivered = isRedelivery(job);
  log.event(
    'info',
    EVENTS.TASK_STARTED,
    {
      [F.TASK_ATTEMPT]: job.attemptsStarted,
      [F.TASK_QUEUE_WAIT]: Math.max(0, Date.now() - ready) * NS_PER_MS,
      [F.TASK_MAX_ATTEMPTS]: job.opts.attempts ?? 1,
      ...(redelivered ? { [F.TASK_REDELIVERED]: true } : {}),
    },
    `task ${job.id} started (attempt ${job.attemptsStarted}${redelivered ? ', redelivered after a stall' : ''})`,
  );
}

/**
 * Wrap a BullMQ processor so each attempt starts with its `task.started` line (queue wait from
 * `data.enqueued_at`). A processor that knows more (when a retry became ready, an attempt
 * registry) calls {@link logTaskStarted} itself instead.
 */
export function tracedProcessor<D extends TracedJobData, R>(
  logger: Logger,
  processor: (job: Job<D>, token?: string) => Promise<R>,
): (job: Job<D>, token?: string) => Promise<R> {
  return async (job, token) => {
    logTaskStarted(jobLog(logger, job), job);
    return processor(job, token);
  };
}

/** A dead-letter queue of the worker's own: where jobs that failed for good are moved. */
export interface DeadLetterOptions<D extends TracedJobData> {
  /** Its name, for the line's message. */
  queue: string;
  /**
   * Move the job there. Resolve true once it is there (`task.dead_lettered` is then logged),
   * false when it could not be (log why on `log`).
   */
  move(job: Job<D>, error: Error, log: JobLog): Promise<boolean>;
  /** Runs after `task.dead_lettered` was logged (e.g. trimming the dead-letter queue). */
  after?(job: Job<D>, log: JobLog): Promise<void>;
}

/** Options of {@link instrumentWorker}. */
export interface WorkerInstrumentationOptions<D extends TracedJobData, R> {
  logger: Logger;
  /** The attempt's duration in ns, asked once per finished attempt (default: since BullMQ's `processedOn`). */
  attemptDurationNs?(job: Job<D>): number;
  /** Words after "task <id> completed" in the line's message, e.g. how the result was obtained. */
  completedNote?(job: Job<D>, result: R): string | undefined;
  /** Runs before `task.completed` is logged. */
  onCompleted?(job: Job<D>, result: R, durationNs: number): void;
  /** Runs before `task.failed` is logged. */
  onFailed?(job: Job<D>, error: Error, durationNs: number): void;
  /** Awaited before `task.retry_scheduled` is logged (e.g. to record when the retry becomes ready). */
  beforeRetry?(job: Job<D>, delayMs: number): Promise<void>;
  /** Without it a job that failed for good has its `task.failed` line (at level error) and no more. */
  deadLetter?: DeadLetterOptions<D>;
  /** Awaited before `task.stalled` is logged. */
  beforeStalled?(jobId: string, queue: string): Promise<void>;
  /** Read a stalled job (BullMQ's event names only its id) so its line carries all its ids; without it, id and queue. */
  getJob?(jobId: string, queue: string): Promise<Job<D> | undefined>;
}

function defaultDurationNs(job: Job<TracedJobData>): number {
  return job.processedOn === undefined ? 0 : Math.max(0, Date.now() - job.processedOn) * NS_PER_MS;
}

/** Log the lifecycle of the worker's jobs from its events (see the module comment). */
export function instrumentWorker<D extends TracedJobData, R>(
  worker: Worker<D, R>,
  options: WorkerInstrumentationOptions<D, R>,
): void {
  const duration = (job: Job<D>) => options.attemptDurationNs?.(job) ?? defaultDurationNs(job);
  worker.on('completed', (job, result) => {
    const durationNs = duration(job);
    options.onCompleted?.(job, result, durationNs);
    const note = options.completedNote?.(job, result);
    jobLog(options.logger, job).event(
      'info',
      EVENTS.TASK_COMPLETED,
      {
        [F.TASK_ATTEMPT]: job.attemptsStarted,
        [F.EVENT_DURATION]: durationNs,
        [F.EVENT_OUTCOME]: 'success',
        [F.TASK_STATUS]: 'succeeded',
      },
      `task ${job.id} completed${note === undefined ? '' : ` (${note})`}`,
    );
  });
  worker.on('failed', (job, error) => {
    if (job === undefined) return;
    void onFailed(options, job, error, duration(job));
  });
  worker.on('stalled', (jobId) => {
    void onStalled(options, worker.name, jobId);
  });
}

async function onFailed<D extends TracedJobData, R>(
  options: WorkerInstrumentationOptions<D, R>,
  job: Job<D>,
  error: Error,
  durationNs: number,
): Promise<void> {
  options.onFailed?.(job, error, durationNs);
  const log = jobLog(options.logger, job);
  const final = typeof job.finishedOn === 'number';
  log.event(
    final ? 'error' : 'warn',
    EVENTS.TASK_FAILED,
    {
      [F.TASK_ATTEMPT]: job.attemptsStarted,
      [F.TASK_MAX_ATTEMPTS]: job.opts.attempts ?? 1,
      [F.EVENT_DURATION]: durationNs,
      [F.EVENT_OUTCOME]: 'failure',
      ...errorFields(error),
    },
    `task ${job.id} failed on attempt ${job.attemptsStarted}: ${error.message}`,
  );
  if (!final) {
    const delay = job.delay;
    await options.beforeRetry?.(job, delay);
    log.event(
      'info',
      EVENTS.TASK_RETRY_SCHEDULED,
      { [F.TASK_RETRY_DELAY]: delay * NS_PER_MS, [F.TASK_ATTEMPT]: job.attemptsStarted },
      `task ${job.id} will be retried in ${delay} ms`,
    );
    return;
  }
  const deadLetter = options.deadLetter;
  if (deadLetter === undefined || !(await deadLetter.move(job, error, log))) return;
  const code = (error as { code?: unknown }).code;
  log.event(
    'error',
    EVENTS.TASK_DEAD_LETTERED,
    {
      // No task.queue of the dead-letter queue: task.queue is the queue the task came from, as on
      // every other line of the task, and the event itself says where it went.
      [F.TASK_ATTEMPT]: job.attemptsStarted,
      ...(typeof code === 'string' ? { [F.ERROR_CODE]: code } : {}),
    },
    `task ${job.id} moved to the ${deadLetter.queue} queue after ${job.attemptsStarted} attempt(s)`,
  );
  await deadLetter.after?.(job, log);
}

async function onStalled<D extends TracedJobData, R>(
  options: WorkerInstrumentationOptions<D, R>,
  queue: string,
  jobId: string,
): Promise<void> {
  await options.beforeStalled?.(jobId, queue);
  try {
    const job = await options.getJob?.(jobId, queue);
    const log = job ? jobLog(options.logger, job) : jobIdLog(options.logger, jobId, queue);
    log.event(
      'warn',
      EVENTS.TASK_STALLED,
      job ? { [F.TASK_ATTEMPT]: job.attemptsStarted } : {},
      `task ${jobId} stalled (its worker stopped renewing the job lock); it goes back to ${queue}`,
    );
  } catch (error) {
    logEvent(
      options.logger,
      'warn',
      EVENTS.TASK_STALLED,
      { [F.TASK_ID]: jobId, ...errorFields(error) },
      `task ${jobId} stalled`,
    );
  }
}
