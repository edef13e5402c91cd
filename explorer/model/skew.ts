/**
 * Clock-skew repair, after jaeger-ui's repairStartTime: when one process's timestamps put an
 * effect before its cause, that process's clock is taken to be off and every line it wrote in
 * this trace is shifted by the smallest amount that restores causality. The reference is the
 * edge: nginx first, then the API that enqueued, then the workers, each adjusted to its
 * parent like a child span. Every shift is returned so the views can say what was changed.
 *
 * Causal rules: nginx starts before the API receives and logs after the API completes; a job
 * starts after it was enqueued; attempt n+1 starts after attempt n ended.
 */
import { EVENTS } from '../../workload/log/vocabulary.ts';
import { formatDuration } from './fields.ts';
import type { WorkLine } from './lines.ts';
import { type HttpGroup, nginxStart } from './requests.ts';
import type { SkewCorrection } from './types.ts';

/** nginx and the API round to the millisecond independently; smaller disagreements are noise. */
const HTTP_TOLERANCE_MS = 2;

interface Bound {
  lower: number;
  upper: number;
  lowerReason: string;
  upperReason: string;
}

function tighten(
  bounds: Map<string, Bound>,
  instance: string,
  lower: number,
  upper: number,
  why: [string, string],
): void {
  const bound = bounds.get(instance) ?? {
    lower: Number.NEGATIVE_INFINITY,
    upper: Number.POSITIVE_INFINITY,
    lowerReason: '',
    upperReason: '',
  };
  if (lower > bound.lower) {
    bound.lower = lower;
    bound.lowerReason = why[0];
  }
  if (upper < bound.upper) {
    bound.upper = upper;
    bound.upperReason = why[1];
  }
  bounds.set(instance, bound);
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
  const apiBounds = new Map<string, Bound>();
  for (const group of groups) {
    const nginx = group.nginx;
    if (nginx === undefined) continue;
    const start = nginxStart(nginx);
    const received = group.received;
    const completed = group.completed;
    tighten(
      apiBounds,
      group.instance,
      received ? start - received.writtenAt : Number.NEGATIVE_INFINITY,
      completed ? nginx.writtenAt - completed.writtenAt : Number.POSITIVE_INFINITY,
      [
        `${EVENTS.HTTP_REQUEST_RECEIVED} on ${group.instance} was written before nginx started the request`,
        `${EVENTS.HTTP_REQUEST_COMPLETED} on ${group.instance} was written after nginx logged the response`,
      ],
    );
  }
  for (const [instance, bound] of apiBounds) {
    // Contradictory bounds mean the API took longer than nginx says the whole request took:
    // no single shift explains that, so leave the clock alone rather than guess.
    if (bound.lower > bound.upper) continue;
    if (bound.lower > HTTP_TOLERANCE_MS) {
      shifts.set(instance, bound.lower);
      corrections.push({ instance, shiftMs: bound.lower, reason: bound.lowerReason });
    } else if (bound.upper < -HTTP_TOLERANCE_MS) {
      shifts.set(instance, bound.upper);
      corrections.push({ instance, shiftMs: bound.upper, reason: bound.upperReason });
    }
  }

  // 2. Workers against the enqueue and the previous attempt, in the order they first started.
  const starts: { line: WorkLine; predecessor: WorkLine | undefined; enqueue: WorkLine | undefined }[] = [];
  for (const task of taskLines.values()) {
    const enqueue = task.find((line) => line.action === EVENTS.TASK_ENQUEUED);
    let previousEnd: WorkLine | undefined;
    for (const line of task) {
      if (line.action === EVENTS.TASK_STARTED) starts.push({ line, predecessor: previousEnd, enqueue });
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
        const gap = enqueue.writtenAt + shiftOf(enqueue.instance) - line.writtenAt;
        if (gap > need) {
          need = gap;
          reason = `${EVENTS.TASK_STARTED} on ${worker} was written ${formatDuration(gap)} before ${EVENTS.TASK_ENQUEUED} on ${enqueue.instance}`;
        }
      }
      if (predecessor && predecessor.instance !== worker) {
        const gap = predecessor.writtenAt + shiftOf(predecessor.instance) - line.writtenAt;
        if (gap > need) {
          need = gap;
          reason = `${EVENTS.TASK_STARTED} on ${worker} was written ${formatDuration(gap)} before the previous attempt ended on ${predecessor.instance}`;
        }
      }
    }
    if (need > 0) {
      shifts.set(worker, need);
      corrections.push({ instance: worker, shiftMs: need, reason });
    }
  }

  for (const line of lines) line.at = line.writtenAt + shiftOf(line.instance);
  return corrections;
}
