/**
 * Step: tasks. One task's lines → its attempts and outcome. Each `task.started` opens an
 * attempt lane; completions and failures close the open attempt of the same worker and
 * attempt number; a `task.stalled` closes the attempt the dead worker left behind, and a
 * start that finds an attempt still open marks that one lost: its worker stopped without
 * saying so. A worker that was not dead but overtaken — it lost its lease, stood still, and
 * wrote again after the job was taken from it — says so in lines of its own attempt (same
 * worker, same attempt number): that attempt becomes `lease_lost`, with what it did after.
 */
import { EVENTS, F } from '../../../contract/vocabulary.ts';
import { bool, nsAsMs, num, str } from '../fields.ts';
import { LOCK_AND_RESULT_ACTIONS } from '../join.ts';
import type { WorkLine } from '../lines.ts';
import type { Attempt, AttemptLease, NoOpEnqueue, Poll, ResultWrite, TaskOutcome, TaskTrace } from '../types.ts';

interface MutableAttempt {
  number: number;
  instance: string;
  startedAt: number;
  endedAt: number | undefined;
  durationMs: number | undefined;
  queueWaitMs: number | undefined;
  result: Attempt['result'];
  failure: string | undefined;
  redelivered: boolean;
  retryDelayMs: number | undefined;
  retryAt: number | undefined;
  lineIds: number[];
  /** True when no task.started line was found and the start was inferred from a duration. */
  inferredStart: boolean;
  /** When the job was taken from the attempt: the next attempt started, or the stall was reported. */
  overtakenAt: number | undefined;
  lease: { -readonly [K in keyof AttemptLease]: AttemptLease[K] };
  write: ResultWrite | undefined;
  /** Time of the attempt's last line. */
  lastAt: number;
}

/** Lines a worker writes inside one attempt; they name it by `service.instance` and `task.attempt`. */
const ATTEMPT_SCOPED: ReadonlySet<string> = new Set([
  ...LOCK_AND_RESULT_ACTIONS,
  EVENTS.TASK_LEASE_LOST,
  EVENTS.TASK_RESUMED,
  EVENTS.TASK_FINISH_REFUSED,
]);

function newAttempt(
  line: WorkLine,
  number: number,
  startedAt: number,
  fields: Partial<Pick<MutableAttempt, 'queueWaitMs' | 'redelivered' | 'inferredStart'>>,
): MutableAttempt {
  return {
    number,
    instance: line.instance,
    startedAt,
    endedAt: undefined,
    durationMs: undefined,
    queueWaitMs: fields.queueWaitMs,
    result: 'running',
    failure: undefined,
    redelivered: fields.redelivered ?? false,
    retryDelayMs: undefined,
    retryAt: undefined,
    lineIds: fields.inferredStart ? [] : [line.id],
    inferredStart: fields.inferredStart ?? false,
    overtakenAt: undefined,
    lease: { lostAt: undefined, pausedMs: undefined, resumedAt: undefined, finishRefusedAt: undefined },
    write: undefined,
    lastAt: line.at,
  };
}

/**
 * The attempt a worker line of one attempt belongs to: same worker and attempt number, whatever
 * its state (a resumed worker writes into an attempt already superseded); without a number, the
 * worker's open attempt, else its last.
 */
function ownAttempt(attempts: MutableAttempt[], line: WorkLine): MutableAttempt | undefined {
  const number = num(line.record, F.TASK_ATTEMPT);
  const mine = attempts.filter((a) => a.instance === line.instance);
  if (number !== undefined) return mine.findLast((a) => a.number === number);
  return mine.findLast(isOpen) ?? mine.at(-1);
}

/** Record what an attempt-scoped line says about its attempt's lease and result. */
function noteAttemptLine(attempt: MutableAttempt, line: WorkLine): void {
  attempt.lineIds.push(line.id);
  attempt.lastAt = Math.max(attempt.lastAt, line.at);
  const lease = attempt.lease;
  if (attempt.overtakenAt !== undefined && line.at > attempt.overtakenAt) lease.resumedAt ??= line.at;
  switch (line.action) {
    case EVENTS.TASK_LEASE_LOST:
    case EVENTS.LOCK_LOST:
      lease.lostAt ??= line.at;
      break;
    case EVENTS.TASK_RESUMED:
      lease.pausedMs = nsAsMs(line.record, F.EVENT_DURATION);
      lease.resumedAt = line.at;
      break;
    case EVENTS.TASK_FINISH_REFUSED:
      lease.finishRefusedAt ??= line.at;
      if (str(line.record, F.EVENT_OUTCOME) === 'failure') attempt.failure ??= failureOf(line);
      break;
    case EVENTS.RESULT_WRITTEN:
    case EVENTS.RESULT_WRITE_REJECTED:
      attempt.write = {
        outcome: line.action === EVENTS.RESULT_WRITTEN ? 'written' : 'rejected',
        fencingToken: num(line.record, F.LOCK_FENCING_TOKEN),
        at: line.at,
      };
      break;
  }
}

/**
 * An attempt that did not end normally but whose worker lost its lease and went on: it lost
 * the lease, had its end refused, or wrote after the job was taken from it.
 */
function settleOvertaken(attempt: MutableAttempt): void {
  if (attempt.result !== 'running' && attempt.result !== 'lost' && attempt.result !== 'stalled') return;
  const { lostAt, finishRefusedAt } = attempt.lease;
  // A pause alone (task.resumed) loses nothing unless the job was taken meanwhile.
  const wroteAfterOvertaken = attempt.overtakenAt !== undefined && attempt.lastAt > attempt.overtakenAt;
  if (lostAt === undefined && finishRefusedAt === undefined && !wroteAfterOvertaken) return;
  attempt.result = 'lease_lost';
  attempt.endedAt = finishRefusedAt ?? attempt.lastAt;
  attempt.durationMs = attempt.endedAt - attempt.startedAt;
}

function leaseOf(lease: AttemptLease): AttemptLease | undefined {
  return Object.values(lease).every((v) => v === undefined) ? undefined : { ...lease };
}

/** A task's structure, before polls are attached. */
export interface TaskCore {
  readonly taskId: string;
  readonly taskType: string | undefined;
  readonly queue: string | undefined;
  readonly priority: string | undefined;
  readonly enqueuedAt: number | undefined;
  readonly enqueueLine: WorkLine | undefined;
  readonly enqueuedBy: string | undefined;
  readonly alreadyEnqueued: NoOpEnqueue[];
  readonly attempts: Attempt[];
  readonly outcome: TaskOutcome;
  readonly endedAt: number | undefined;
  readonly deadLetteredAt: number | undefined;
  readonly maxAttempts: number | undefined;
  readonly lineIds: number[];
}

/** Human words for a failure line: code or type, then the message. */
export function failureOf(line: WorkLine): string {
  const code = str(line.record, F.ERROR_CODE) ?? str(line.record, F.ERROR_TYPE);
  const message = str(line.record, F.ERROR_MESSAGE);
  if (code && message) return `${code}: ${message}`;
  return code ?? message ?? str(line.record, F.MESSAGE) ?? 'failed';
}

function isOpen(attempt: MutableAttempt): boolean {
  return attempt.result === 'running';
}

function findOpen(attempts: MutableAttempt[], line: WorkLine): MutableAttempt | undefined {
  const number = num(line.record, F.TASK_ATTEMPT);
  const open = attempts.filter(isOpen);
  return (
    open.findLast((a) => a.instance === line.instance && (number === undefined || a.number === number)) ??
    open.findLast((a) => a.instance === line.instance) ??
    open.findLast((a) => number === undefined || a.number === number) ??
    open.at(-1)
  );
}

/** Build a task from its lines, given in trace order. */
export function buildTask(taskId: string, lines: readonly WorkLine[]): TaskCore {
  const attempts: MutableAttempt[] = [];
  let enqueueLine: WorkLine | undefined;
  let creator: string | undefined;
  const alreadyEnqueued: NoOpEnqueue[] = [];
  let taskType: string | undefined;
  let queue: string | undefined;
  let priority: string | undefined;
  let maxAttempts: number | undefined;
  let deadLetteredAt: number | undefined;
  const lineIds: number[] = [];

  const closeWith = (line: WorkLine, result: 'succeeded' | 'failed'): void => {
    let attempt = findOpen(attempts, line);
    const durationMs = nsAsMs(line.record, F.EVENT_DURATION);
    if (attempt === undefined) {
      // The start line is missing (not shipped yet, or lost): infer it from the duration.
      const number = num(line.record, F.TASK_ATTEMPT) ?? attempts.length + 1;
      attempt = newAttempt(line, number, line.at - (durationMs ?? 0), { inferredStart: true });
      attempts.push(attempt);
    }
    attempt.result = result;
    attempt.endedAt = line.at;
    attempt.durationMs = durationMs ?? line.at - attempt.startedAt;
    if (result === 'failed') attempt.failure = failureOf(line);
    attempt.lineIds.push(line.id);
  };

  for (const line of lines) {
    lineIds.push(line.id);
    taskType ??= str(line.record, F.TASK_TYPE);
    queue ??=
      line.action === EVENTS.TASK_ENQUEUED || line.action === EVENTS.TASK_STARTED
        ? str(line.record, F.TASK_QUEUE)
        : undefined;
    priority ??= str(line.record, F.TASK_PRIORITY);
    maxAttempts ??= num(line.record, F.TASK_MAX_ATTEMPTS);
    switch (line.action) {
      case EVENTS.TASK_ENQUEUED:
        enqueueLine ??= line;
        break;
      case EVENTS.TASK_ALREADY_ENQUEUED:
        // Not this task's enqueue: the job was there already, created by the request it names.
        alreadyEnqueued.push({ at: line.at, correlationId: line.correlationId, lineId: line.id });
        creator ??= str(line.record, F.ORIGINAL_CORRELATION_ID);
        break;
      case EVENTS.TASK_STARTED: {
        // Only one attempt of a job runs at a time: an attempt still open when the next one
        // starts was abandoned by a worker that died without a word (or, if it writes again
        // later, that lost its lease: see settleOvertaken).
        for (const open of attempts.filter(isOpen)) {
          open.result = 'lost';
          open.overtakenAt ??= line.at;
        }
        attempts.push(
          newAttempt(line, num(line.record, F.TASK_ATTEMPT) ?? attempts.length + 1, line.at, {
            queueWaitMs: nsAsMs(line.record, F.TASK_QUEUE_WAIT),
            redelivered: bool(line.record, F.TASK_REDELIVERED),
          }),
        );
        break;
      }
      case EVENTS.TASK_COMPLETED:
        closeWith(line, 'succeeded');
        break;
      case EVENTS.TASK_FAILED:
        closeWith(line, 'failed');
        break;
      case EVENTS.TASK_STALLED: {
        // The stall is reported by whoever noticed it, not by the worker that died, and it may
        // arrive after the redelivered attempt already started (carrying that attempt's
        // number). So an attempt already superseded (lost) is the one that stalled; only
        // without one is an open attempt matched, by number, else the oldest.
        const number = num(line.record, F.TASK_ATTEMPT);
        const open = attempts.filter(isOpen);
        const attempt =
          attempts.findLast((a) => a.result === 'lost') ??
          open.find((a) => number !== undefined && a.number === number) ??
          open[0];
        if (attempt) {
          attempt.result = 'stalled';
          attempt.overtakenAt = Math.min(attempt.overtakenAt ?? line.at, line.at);
          attempt.lineIds.push(line.id);
        }
        break;
      }
      case EVENTS.TASK_RETRY_SCHEDULED: {
        const attempt = attempts.findLast((a) => a.result === 'failed') ?? attempts.at(-1);
        if (attempt) {
          attempt.retryDelayMs = nsAsMs(line.record, F.TASK_RETRY_DELAY);
          attempt.retryAt = line.at + (attempt.retryDelayMs ?? 0);
          attempt.lineIds.push(line.id);
        }
        break;
      }
      case EVENTS.TASK_DEAD_LETTERED:
        deadLetteredAt ??= line.at;
        break;
      default: {
        if (!ATTEMPT_SCOPED.has(line.action)) break;
        const attempt = ownAttempt(attempts, line);
        if (attempt) noteAttemptLine(attempt, line);
      }
    }
  }
  for (const attempt of attempts) settleOvertaken(attempt);

  const last = attempts.at(-1);
  let outcome: TaskOutcome;
  let endedAt: number | undefined;
  if (deadLetteredAt !== undefined) {
    outcome = 'dead_lettered';
    endedAt = deadLetteredAt;
  } else if (last === undefined) outcome = enqueueLine ? 'queued' : 'unknown';
  else if (last.result === 'succeeded') {
    outcome = 'succeeded';
    endedAt = last.endedAt;
  } else if (last.result === 'failed') {
    // A failure with no retry scheduled is final: attempts exhausted or an input the worker
    // refused (poison), which is not retried.
    const final = last.retryDelayMs === undefined;
    outcome = final ? 'failed' : 'queued';
    endedAt = final ? last.endedAt : undefined;
  } else if (last.result === 'running') outcome = 'running';
  // Overtaken but neither superseded nor refused yet: it still runs until the redelivery.
  else if (last.result === 'lease_lost' && last.overtakenAt === undefined && last.lease.finishRefusedAt === undefined)
    outcome = 'running';
  else outcome = 'queued';

  return {
    taskId,
    taskType,
    queue,
    priority,
    enqueuedAt: enqueueLine?.at,
    enqueueLine,
    enqueuedBy: enqueueLine?.correlationId ?? creator,
    alreadyEnqueued,
    attempts: attempts.map(({ inferredStart: _i, overtakenAt: _o, lastAt: _l, lease, ...attempt }) => ({
      ...attempt,
      lease: leaseOf(lease),
    })),
    outcome,
    endedAt,
    deadLetteredAt,
    maxAttempts,
    lineIds,
  };
}

/** Each task's structure from its lines, given in trace order. */
export function buildTasks(taskLines: ReadonlyMap<string, readonly WorkLine[]>): Map<string, TaskCore> {
  const cores = new Map<string, TaskCore>();
  for (const [taskId, lines] of taskLines) cores.set(taskId, buildTask(taskId, lines));
  return cores;
}

/** When a task first shows: its enqueue, else its first attempt. */
export function taskFirstAt(task: Pick<TaskTrace, 'enqueuedAt' | 'attempts'>): number {
  return task.enqueuedAt ?? task.attempts[0]?.startedAt ?? Number.POSITIVE_INFINITY;
}

/** The tasks with their polls, in the order they first show. */
export function finishTasks(
  cores: ReadonlyMap<string, TaskCore>,
  polls: ReadonlyMap<string, readonly Poll[]>,
): TaskTrace[] {
  return [...cores.values()]
    .map((core) => ({
      taskId: core.taskId,
      taskType: core.taskType,
      queue: core.queue,
      priority: core.priority,
      enqueuedAt: core.enqueuedAt,
      enqueueLineId: core.enqueueLine?.id,
      enqueuedBy: core.enqueuedBy,
      alreadyEnqueued: core.alreadyEnqueued,
      attempts: core.attempts,
      outcome: core.outcome,
      endedAt: core.endedAt,
      deadLetteredAt: core.deadLetteredAt,
      polls: polls.get(core.taskId) ?? [],
      lineIds: core.lineIds,
    }))
    .sort((a, b) => taskFirstAt(a) - taskFirstAt(b));
}
