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
  /**
   * `lease_lost`: the worker lost its lease on the job (or its end was refused for want of it)
   * and went on running after that — it was not dead: `lease` says what it did.
   */
  readonly result: 'succeeded' | 'failed' | 'stalled' | 'running' | 'lost' | 'lease_lost';
  readonly failure: string | undefined;
  readonly redelivered: boolean;
  /** Backoff before the next attempt, from task.retry_scheduled. */
  readonly retryDelayMs: number | undefined;
  readonly retryAt: number | undefined;
  /** What the attempt's worker reported about losing its lease, when it did. */
  readonly lease: AttemptLease | undefined;
  /** The attempt's fenced result write, accepted or refused. */
  readonly write: ResultWrite | undefined;
  readonly lineIds: readonly number[];
}

/** An attempt's lease lost and what its worker did after (every field as far as its lines tell). */
export interface AttemptLease {
  /** First `task.lease_lost` (job lock) or `lock.lost` (resource lock) of the attempt. */
  readonly lostAt: number | undefined;
  /** How long the worker's process stood still (`task.resumed`). */
  readonly pausedMs: number | undefined;
  /** When it ran again: its `task.resumed`, else its first line after the job was taken from it. */
  readonly resumedAt: number | undefined;
  /** When the queue refused to record the attempt's end (`task.finish_refused`). */
  readonly finishRefusedAt: number | undefined;
}

/** A fenced result write of an attempt: `result.written` or `result.write_rejected`. */
export interface ResultWrite {
  readonly outcome: 'written' | 'rejected';
  readonly fencingToken: number | undefined;
  readonly at: number;
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
  /** The request that enqueued the job: its `task.enqueued` line's correlation id (else a no-op enqueue's `original.correlation_id`). */
  readonly enqueuedBy: string | undefined;
  /** Enqueues that were no-ops because the job existed already (`task.already_enqueued`). */
  readonly alreadyEnqueued: readonly NoOpEnqueue[];
  readonly attempts: readonly Attempt[];
  readonly outcome: TaskOutcome;
  readonly endedAt: number | undefined;
  readonly deadLetteredAt: number | undefined;
  readonly polls: readonly Poll[];
  readonly lineIds: readonly number[];
}

/** An enqueue of a job that existed already: the queue kept the job as it was. */
export interface NoOpEnqueue {
  readonly at: number;
  /** The request whose enqueue it was. */
  readonly correlationId: string | undefined;
  readonly lineId: number;
}

/**
 * An idempotency claim whose lease ran out, taken over by another request. `took_over`: this
 * trace's request is the taker; `taken_from`: its claim was taken over.
 */
export interface Takeover {
  readonly direction: 'took_over' | 'taken_from';
  readonly at: number;
  /** The request that took the claim over. */
  readonly correlationId: string | undefined;
  /** The request it took the claim from, whose work may still have been running. */
  readonly originalCorrelationId: string | undefined;
  readonly taskId: string | undefined;
  readonly idempotencyKey: string | undefined;
  /** When the request taken over from found its claim gone (`idempotency.claim_lost`), if logged. */
  readonly claimLostAt: number | undefined;
  readonly lineId: number;
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
  /** Idempotency claims this trace's requests took over, or that were taken from them. */
  readonly takeovers: readonly Takeover[];
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
    /** A point in an overtaken attempt: lease lost, resumed, its write, its refused end. */
    | 'lease'
    /** An idempotency claim taken over, in the taker's or the first request's trace. */
    | 'takeover'
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
