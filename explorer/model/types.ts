/**
 * Shapes of the explorer's model: log hits in, a trace (requests, tasks, stages, duplicates,
 * warnings) out, then rows for the views. Everything here is plain data so that `--json`,
 * `--plain` and the TUI render the very same thing.
 */
import type { DuplicateKind, LogRecord } from '../../contract/vocabulary.ts';

/** One log line as a source returned it: the parsed record and where it came from. */
export interface Hit {
  /** Where the line lives: `file:line` for NDJSON, `index/_id` for Elasticsearch. */
  readonly source: string;
  readonly record: LogRecord;
  /** Epoch ms of the record's @timestamp when the store has parsed it already (a sort value). */
  readonly at?: number | undefined;
}

/** A hit after ordering and clock-skew repair, with a stable id used by rows and details. */
export interface TraceLine {
  /** Position in the trace's ordered line list. */
  readonly id: number;
  readonly source: string;
  readonly record: LogRecord;
  /** Epoch ms as written in @timestamp. */
  readonly writtenAt: number;
  /** Epoch ms after skew repair (equal to writtenAt unless corrected). */
  readonly at: number;
  readonly service: string;
  readonly instance: string;
  readonly action: string;
  readonly sequence: number;
}

/** A clock correction the model applied to one process's lines in this trace. */
export interface SkewCorrection {
  readonly instance: string;
  /** Milliseconds added to that instance's timestamps. */
  readonly shiftMs: number;
  /** The causal rule that demanded it, in words. */
  readonly reason: string;
}

/** A gap the model could name: something that should be in the logs and is not. */
export type GapKind = 'never_started' | 'never_finished' | 'no_api_line' | 'shipper_lag' | 'no_nginx_line';

/** A named gap. */
export interface Gap {
  readonly kind: GapKind;
  readonly message: string;
  readonly taskId?: string;
  readonly at?: number;
}

/** One execution of a task on a worker. */
export interface Attempt {
  /** task.attempt as logged (1-based); BullMQ keeps the number on a stalled redelivery. */
  readonly number: number;
  readonly instance: string;
  readonly startedAt: number;
  readonly endedAt: number | undefined;
  readonly durationMs: number | undefined;
  readonly queueWaitMs: number | undefined;
  readonly result: 'succeeded' | 'failed' | 'stalled' | 'running' | 'lost';
  readonly failure: string | undefined;
  readonly redelivered: boolean;
  /** Backoff before the next attempt, from task.retry_scheduled. */
  readonly retryDelayMs: number | undefined;
  readonly retryAt: number | undefined;
  readonly lineIds: readonly number[];
}

/** Final state of a task as far as the logs tell. */
export type TaskOutcome = 'succeeded' | 'failed' | 'dead_lettered' | 'running' | 'queued' | 'unknown';

/** One queued job and everything logged about it. */
export interface TaskTrace {
  readonly taskId: string;
  readonly taskType: string | undefined;
  readonly queue: string | undefined;
  readonly priority: string | undefined;
  readonly enqueuedAt: number | undefined;
  readonly enqueueLineId: number | undefined;
  readonly attempts: readonly Attempt[];
  readonly outcome: TaskOutcome;
  readonly endedAt: number | undefined;
  readonly deadLetteredAt: number | undefined;
  readonly polls: readonly Poll[];
  readonly lineIds: readonly number[];
}

/** A later GET of the task's status. */
export interface Poll {
  readonly correlationId: string | undefined;
  readonly at: number;
  readonly status: number | undefined;
  readonly durationMs: number | undefined;
  readonly lineIds: readonly number[];
}

/** A duplicate that was blocked, pointing at its original. */
export interface Duplicate {
  readonly kind: DuplicateKind;
  readonly action: string;
  readonly at: number;
  /** Correlation id of the blocked duplicate. */
  readonly correlationId: string | undefined;
  /** The duplicate's own task, when it was a job (lock contention, cache hit). */
  readonly taskId: string | undefined;
  readonly originalTaskId: string | undefined;
  readonly originalCorrelationId: string | undefined;
  readonly idempotencyKey: string | undefined;
  readonly lockResource: string | undefined;
  /** 'blocked' when this trace is the duplicate; 'incoming' when it points at this trace. */
  readonly direction: 'blocked' | 'incoming';
  readonly lineId: number;
}

/** One HTTP request: a client reusing a correlation id produces several. */
export interface RequestBranch {
  /** 1-based position among the requests of this correlation id, in time order. */
  readonly index: number;
  readonly method: string | undefined;
  readonly path: string | undefined;
  readonly route: string | undefined;
  readonly status: number | undefined;
  readonly apiInstance: string | undefined;
  readonly receivedAt: number | undefined;
  readonly respondedAt: number | undefined;
  readonly apiDurationMs: number | undefined;
  readonly nginx:
    | {
        readonly startedAt: number;
        readonly endedAt: number;
        readonly status: number | undefined;
        readonly upstream: string | undefined;
        readonly lineId: number;
      }
    | undefined;
  readonly idempotencyKey: string | undefined;
  /** W3C trace id of the request (the API's lines, else nginx's). */
  readonly traceId: string | undefined;
  /** The API's span id of the request, when its lines carry one. */
  readonly spanId: string | undefined;
  readonly taskIds: readonly string[];
  readonly lineIds: readonly number[];
}

/** The trace's verdict in one word plus a sentence. */
export interface Outcome {
  readonly status:
    | 'succeeded'
    | 'failed'
    | 'in_flight'
    | 'stuck'
    | 'rejected'
    | 'duplicate'
    | 'unknown'
    /** The lines do not meet the log contract: the summary says what cannot be told and why. */
    | 'undetermined';
  readonly summary: string;
  /** Set when what the client was told and what happened disagree. */
  readonly divergence: string | undefined;
}

/** Status polls a first, partial trace is still waiting for (load-trace.ts fetches them next). */
export interface PendingPolls {
  /** Polls not loaded yet, in all. */
  readonly polls: number;
  /** The same per polled task, where the source could tell. */
  readonly byTask: Readonly<Record<string, number>>;
}

/** The whole story of one correlation id. */
export interface Trace {
  readonly correlationId: string;
  /** Set when the trace was opened with --task. */
  readonly focusTaskId: string | undefined;
  readonly lines: readonly TraceLine[];
  readonly requests: readonly RequestBranch[];
  readonly tasks: readonly TaskTrace[];
  readonly duplicates: readonly Duplicate[];
  readonly gaps: readonly Gap[];
  readonly skew: readonly SkewCorrection[];
  readonly warnings: readonly string[];
  readonly outcome: Outcome;
  readonly startedAt: number;
  readonly endedAt: number;
  /** True while something is still queued or running (what --follow waits for). */
  readonly inFlight: boolean;
  /**
   * Set on a first, partial trace only: status polls still loading. Everything else in such a
   * trace is final; the complete trace follows.
   */
  readonly pending?: PendingPolls | undefined;
}

/** What the views draw: one line of the waterfall. */
export interface Row {
  readonly key: string;
  readonly kind:
    | 'request'
    | 'nginx'
    | 'api'
    | 'enqueue'
    | 'queue_wait'
    | 'attempt'
    | 'backoff'
    | 'stall'
    | 'completion'
    | 'dead_letter'
    | 'poll'
    | 'duplicate'
    | 'gap'
    | 'task'
    | 'pending';
  readonly depth: number;
  readonly label: string;
  /** Lane: the process that did the work. */
  readonly lane: string;
  /** Offsets in ms from the trace start; a point when end === start. */
  readonly start: number;
  readonly end: number;
  readonly isError: boolean;
  /** Marker shown before the label: duplicate, stall, skew and gap rows carry one. */
  readonly marker: string | undefined;
  /** Jump target for `o`: the original of a duplicate. */
  readonly original: { readonly correlationId: string | undefined; readonly taskId: string | undefined } | undefined;
  readonly note: string | undefined;
  readonly lineIds: readonly number[];
}
