/**
 * Step: tasks. One task's lines → its attempts and outcome. Each `task.started` opens an
 * attempt lane; completions and failures close the open attempt of the same worker and
 * attempt number; a `task.stalled` closes the attempt the dead worker left behind, and a
 * start that finds an attempt still open marks that one lost: its worker stopped without
 * saying so.
 */
import { EVENTS, F } from '../../../contract/vocabulary.ts';
import { bool, nsAsMs, num, str } from '../fields.ts';
import type { WorkLine } from '../lines.ts';
import type { Attempt, Poll, TaskOutcome, TaskTrace } from '../types.ts';

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
}

/** A task's structure, before polls are attached. */
export interface TaskCore {
  readonly taskId: string;
  readonly taskType: string | undefined;
  readonly queue: string | undefined;
  readonly priority: string | undefined;
  readonly enqueuedAt: number | undefined;
  readonly enqueueLine: WorkLine | undefined;
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
      attempt = {
        number: num(line.record, F.TASK_ATTEMPT) ?? attempts.length + 1,
        instance: line.instance,
        startedAt: line.at - (durationMs ?? 0),
        endedAt: undefined,
        durationMs: undefined,
        queueWaitMs: undefined,
        result: 'running',
        failure: undefined,
        redelivered: false,
        retryDelayMs: undefined,
        retryAt: undefined,
        lineIds: [],
        inferredStart: true,
      };
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
      case EVENTS.TASK_STARTED: {
        // Only one attempt of a job runs at a time: an attempt still open when the next one
        // starts was abandoned by a worker that died without a word.
        for (const open of attempts.filter(isOpen)) open.result = 'lost';
        attempts.push({
          number: num(line.record, F.TASK_ATTEMPT) ?? attempts.length + 1,
          instance: line.instance,
          startedAt: line.at,
          endedAt: undefined,
          durationMs: undefined,
          queueWaitMs: nsAsMs(line.record, F.TASK_QUEUE_WAIT),
          result: 'running',
          failure: undefined,
          redelivered: bool(line.record, F.TASK_REDELIVERED),
          retryDelayMs: undefined,
          retryAt: undefined,
          lineIds: [line.id],
          inferredStart: false,
        });
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
        const attempt = attempts.findLast((a) => a.instance === line.instance && isOpen(a));
        attempt?.lineIds.push(line.id);
      }
    }
  }

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
  else outcome = 'queued';

  return {
    taskId,
    taskType,
    queue,
    priority,
    enqueuedAt: enqueueLine?.at,
    enqueueLine,
    attempts: attempts.map(({ inferredStart: _inferred, ...attempt }) => attempt),
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
      attempts: core.attempts,
      outcome: core.outcome,
      endedAt: core.endedAt,
      deadLetteredAt: core.deadLetteredAt,
      polls: polls.get(core.taskId) ?? [],
      lineIds: core.lineIds,
    }))
    .sort((a, b) => taskFirstAt(a) - taskFirstAt(b));
}
