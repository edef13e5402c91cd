/**
 * Step: skew. Clock-skew repair, after the clock-skew adjuster of Jaeger's backend
 * (jaegertracing/jaeger, `model/adjuster/clockskew.go`, which shifts a span from another host
 * that starts before its parent or ends after it): when one process's timestamps put an
 * effect before its cause, that process's clock is taken to be off and every line it wrote in
 * this trace is shifted by the smallest amount that restores causality. The reference is the
 * edge: nginx first, then the API that enqueued, then the workers, each adjusted to its
 * parent like a child span. Every shift is returned so the views can say what was changed.
 *
 * Causal rules: an API receives a request inside nginx's span of it; a job starts after it
 * was enqueued; attempt n+1 starts after attempt n ended. Lines written after the fact are not
 * causes: the API's `http.request.completed` may follow nginx's access line (see ApiBound).
 *
 * "Enqueued" is the job's own instant (`enqueued_at`, taken just before BullMQ's add), not the
 * API's `task.enqueued` line, which is written only once the add has returned: a fast worker
 * can start the job before that line on a machine whose clocks agree. The worker's
 * `task.queue_wait` counts from `enqueued_at` on the API's clock, so the start's written time
 * minus that wait gives `enqueued_at` back exactly; when the wait cannot tell (absent, or 0,
 * which the worker writes for any reading at or before `enqueued_at`), the API's last line
 * before the add is the earliest the job can have existed.
 */
import { EVENTS, F, type LogRecord } from '../../../contract/vocabulary.ts';
import { formatDuration, nsAsMs, num } from '../fields.ts';
import type { WorkLine } from '../lines.ts';
import type { SkewCorrection } from '../types.ts';
import { type HttpGroup, nginxStart } from './requests.ts';

/** nginx and the API round to the millisecond independently; smaller disagreements are noise. */
const HTTP_TOLERANCE_MS = 2;
/**
 * The worker writes its start line a moment after it read the clock for the wait, and both
 * round to the millisecond, so `enqueued_at` read back may come out that much late.
 */
const READBACK_TOLERANCE_MS = 2;

/** The parts of a line the enqueue-instant rules read (a model line or a trace line). */
export interface TimedLine {
  readonly writtenAt: number;
  readonly at: number;
  readonly record: LogRecord;
}

/**
 * The job's `enqueued_at` on the enqueuing API's clock as written, read back from a start
 * line's `task.queue_wait`; undefined when that wait does not count from the enqueue. A wait
 * of 0 is only a bound (the worker clamps negative waits), a retry's or redelivery's wait
 * counts from a later instant, which lands after the enqueue line, and nothing can come
 * before the API's last line ahead of the add (`earliest`, when known).
 */
export function jobEnqueuedAt(start: TimedLine, enqueueWrittenAt: number, earliest?: number): number | undefined {
  const wait = nsAsMs(start.record, F.TASK_QUEUE_WAIT);
  if (wait === undefined || wait <= 0) return undefined;
  const instant = start.writtenAt - wait;
  if (instant > enqueueWrittenAt + READBACK_TOLERANCE_MS) return undefined;
  if (earliest !== undefined && instant < earliest - READBACK_TOLERANCE_MS) return undefined;
  return Math.min(instant, enqueueWrittenAt);
}

/**
 * Where a job's first queue wait begins on the repaired time line: its `enqueued_at` when the
 * start line tells it, the start itself when the worker measured no wait, else the enqueue
 * line; never after the start.
 */
export function queueWaitFrom(enqueue: TimedLine, start: TimedLine | undefined): number {
  if (start === undefined) return enqueue.at;
  const instant = jobEnqueuedAt(start, enqueue.writtenAt);
  if (instant !== undefined) return Math.min(start.at, instant + (enqueue.at - enqueue.writtenAt));
  if (nsAsMs(start.record, F.TASK_QUEUE_WAIT) === 0) return start.at;
  return Math.min(start.at, enqueue.at);
}

/**
 * What nginx says about one API process's clock: shifts of at least `lower` and at most
 * `upper` are causal (its requests were received inside nginx's spans); `fit` is the shift
 * that would also end its requests by nginx's log line, which is only a best fit: the API
 * writes `http.request.completed` on the response's 'finish', after the bytes left, and a busy
 * event loop may get to it after nginx has already logged.
 */
interface ApiBound {
  lower: number;
  upper: number;
  fit: number;
  lowerReason: string;
  upperReason: string;
}

function tighten(bounds: Map<string, ApiBound>, group: HttpGroup, nginx: WorkLine): void {
  const bound = bounds.get(group.instance) ?? {
    lower: Number.NEGATIVE_INFINITY,
    upper: Number.POSITIVE_INFINITY,
    fit: Number.POSITIVE_INFINITY,
    lowerReason: '',
    upperReason: '',
  };
  const received = group.received;
  if (received !== undefined) {
    const lower = nginxStart(nginx) - received.writtenAt;
    if (lower > bound.lower) {
      bound.lower = lower;
      bound.lowerReason = `${EVENTS.HTTP_REQUEST_RECEIVED} on ${group.instance} was written before nginx started the request`;
    }
    const upper = nginx.writtenAt - received.writtenAt;
    if (upper < bound.upper) {
      bound.upper = upper;
      bound.upperReason = `${EVENTS.HTTP_REQUEST_RECEIVED} on ${group.instance} was written after nginx logged the response`;
    }
  }
  const completed = group.completed;
  if (completed !== undefined) bound.fit = Math.min(bound.fit, nginx.writtenAt - completed.writtenAt);
  bounds.set(group.instance, bound);
}

/** Decide per-process shifts for this trace and apply them to the lines' `at`. */
export function repairSkew(
  lines: readonly WorkLine[],
  groups: readonly HttpGroup[],
  taskLines: ReadonlyMap<string, readonly WorkLine[]>,
): SkewCorrection[] {
  const shifts = new Map<string, number>();
  const corrections: SkewCorrection[] = [];
  const shiftOf = (instance: string): number => shifts.get(instance) ?? 0;

  // 1. API processes against nginx.
  const apiBounds = new Map<string, ApiBound>();
  for (const group of groups) if (group.nginx !== undefined) tighten(apiBounds, group, group.nginx);
  for (const [instance, bound] of apiBounds) {
    // Contradictory bounds mean the API took longer than nginx says the whole request took:
    // no single shift explains that, so leave the clock alone rather than guess.
    if (bound.lower > bound.upper) continue;
    if (bound.lower > HTTP_TOLERANCE_MS) {
      shifts.set(instance, bound.lower);
      corrections.push({ instance, shiftMs: bound.lower, reason: bound.lowerReason });
    } else if (bound.upper < -HTTP_TOLERANCE_MS) {
      // Received after nginx had the answer: the clock runs ahead. Move it back far enough to
      // end its requests by nginx's line too, where that stays causal.
      const shift = Math.min(bound.upper, Math.max(bound.lower, bound.fit));
      shifts.set(instance, shift);
      corrections.push({ instance, shiftMs: shift, reason: bound.upperReason });
    }
  }

  // 2. Workers against the enqueue and the previous attempt, in the order they first started.
  const beforeAdd = linesBeforeEnqueue(groups);
  const starts: { line: WorkLine; predecessor: WorkLine | undefined; enqueue: WorkLine | undefined }[] = [];
  for (const task of taskLines.values()) {
    const enqueue = task.find((line) => line.action === EVENTS.TASK_ENQUEUED);
    const ends = attemptEnds(task);
    let previousEnd: WorkLine | undefined;
    for (const line of task) {
      if (line.action === EVENTS.TASK_STARTED) {
        // By attempt number where written: a start from a clock far behind sorts before the
        // end of the attempt it follows, so the written order alone would miss that edge.
        const number = num(line.record, F.TASK_ATTEMPT);
        const predecessor = number === undefined || ends.length === 0 ? previousEnd : endBefore(ends, number);
        starts.push({ line, predecessor, enqueue });
      }
      if (line.action === EVENTS.TASK_COMPLETED || line.action === EVENTS.TASK_FAILED) previousEnd = line;
    }
  }
  starts.sort((a, b) => a.line.writtenAt - b.line.writtenAt);
  const workerOrder = [...new Set(starts.map((s) => s.line.instance))];
  for (const worker of workerOrder) {
    if (shifts.has(worker)) continue;
    let need = 0;
    let reason = '';
    for (const { line, predecessor, enqueue } of starts) {
      if (line.instance !== worker) continue;
      if (enqueue && enqueue.instance !== worker) {
        const cause = enqueueCause(line, enqueue, beforeAdd.get(enqueue));
        const gap = cause.at + shiftOf(enqueue.instance) - line.writtenAt;
        if (gap > need) {
          need = gap;
          reason = `${EVENTS.TASK_STARTED} on ${worker} was written ${formatDuration(gap)} before ${cause.what}`;
        }
      }
      if (predecessor && predecessor.instance !== worker) {
        const gap = predecessor.writtenAt + shiftOf(predecessor.instance) - line.writtenAt;
        // Strictly after: a retry waits out its backoff, so even an equal millisecond is a
        // clock that is off, and only 1 ms more keeps the start after the end in the order.
        if (gap >= 0 && gap + 1 > need) {
          need = gap + 1;
          reason = `${EVENTS.TASK_STARTED} on ${worker} was written ${formatDuration(gap)} before the previous attempt ended on ${predecessor.instance}`;
        }
      }
    }
    if (need > 0) {
      shifts.set(worker, need);
      corrections.push({ instance: worker, shiftMs: need, reason });
    }
  }

  // Lines start with `at` = `writtenAt` (lines.ts): with no shift there is nothing to move.
  if (shifts.size > 0) for (const line of lines) line.at = line.writtenAt + shiftOf(line.instance);
  return corrections;
}

/** For each `task.enqueued` line, the line its API wrote for the same request just before it. */
function linesBeforeEnqueue(groups: readonly HttpGroup[]): Map<WorkLine, WorkLine> {
  const before = new Map<WorkLine, WorkLine>();
  for (const group of groups) {
    // A status poll enqueues nothing; a long-polled trace is mostly polls.
    if (group.polled !== undefined) continue;
    group.lines.forEach((line, i) => {
      const previous = group.lines[i - 1];
      if (line.action === EVENTS.TASK_ENQUEUED && previous !== undefined) before.set(line, previous);
    });
  }
  return before;
}

/**
 * The earliest instant (on the API's clock as written) a job can have existed, in words for
 * the correction's reason: its `enqueued_at` read back from the start's queue wait; else the
 * API's last line before the add; else, with neither, the enqueue line itself.
 */
function enqueueCause(
  start: WorkLine,
  enqueue: WorkLine,
  beforeAdd: WorkLine | undefined,
): { at: number; what: string } {
  const instant = jobEnqueuedAt(start, enqueue.writtenAt, beforeAdd?.writtenAt);
  if (instant !== undefined)
    return {
      at: instant,
      what: `its job was enqueued on ${enqueue.instance} (enqueued_at, read back from ${F.TASK_QUEUE_WAIT})`,
    };
  if (beforeAdd !== undefined)
    return {
      at: beforeAdd.writtenAt,
      what: `${enqueue.instance} began enqueuing its job (after its ${beforeAdd.action} line)`,
    };
  return { at: enqueue.writtenAt, what: `${EVENTS.TASK_ENQUEUED} on ${enqueue.instance}` };
}

/** A task's attempt ends (completed or failed) that carry their attempt number. */
function attemptEnds(task: readonly WorkLine[]): { number: number; line: WorkLine }[] {
  const ends: { number: number; line: WorkLine }[] = [];
  for (const line of task) {
    if (line.action !== EVENTS.TASK_COMPLETED && line.action !== EVENTS.TASK_FAILED) continue;
    const number = num(line.record, F.TASK_ATTEMPT);
    if (number !== undefined) ends.push({ number, line });
  }
  return ends;
}

/** The end of the latest attempt numbered below `number`: what that attempt had to follow. */
function endBefore(ends: readonly { number: number; line: WorkLine }[], number: number): WorkLine | undefined {
  let best: { number: number; line: WorkLine } | undefined;
  for (const end of ends) if (end.number < number && (best === undefined || end.number > best.number)) best = end;
  return best?.line;
}

/** The warning a correction adds to the trace. */
export function skewWarning(correction: SkewCorrection): string {
  return `clock skew: shifted ${correction.instance} by ${correction.shiftMs > 0 ? '+' : ''}${formatDuration(correction.shiftMs)} (${correction.reason})`;
}
