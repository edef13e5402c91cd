import { describe, expect, it } from 'vitest';
import { EVENTS, F, NS_PER_MS } from '../../contract/vocabulary.ts';
import { buildTrace } from '../../explorer/model/build-trace.ts';
import { traceToRows } from '../../explorer/model/rows.ts';
import { LogWriter, T0 } from './fixtures.ts';

const CID = 'req-lease';
const TASK = 'task-lease';

/** Worker lines of one attempt of TASK. */
function ids(attempt: number, fence?: number) {
  return {
    [F.CORRELATION_ID]: CID,
    [F.TASK_ID]: TASK,
    [F.TASK_ATTEMPT]: attempt,
    ...(fence === undefined ? {} : { [F.LOCK_FENCING_TOKEN]: fence }),
  };
}

/**
 * worker-1 takes the job and its lock (fence 1), freezes at 100 ms; worker-2's stalled check
 * redelivers it (attempt 2, fence 2); worker-1 resumes at 9 s, before or after worker-2 writes.
 */
function frozenAndResumed(opts: { resumeAt: number; resumedLines?: boolean; finishRefused?: boolean }): LogWriter {
  const w = new LogWriter();
  w.post({ ms: 0, cid: CID, taskId: TASK });
  w.attempt({ ms: 20, cid: CID, taskId: TASK, worker: 'worker-1', attempt: 1, die: true });
  w.line(25, 'worker', 'worker-1', EVENTS.LOCK_ACQUIRED, ids(1, 1));
  w.line(5000, 'worker', 'worker-2', EVENTS.TASK_STALLED, ids(1));
  w.attempt({ ms: 5010, cid: CID, taskId: TASK, worker: 'worker-2', attempt: 2, durationMs: 6000, redelivered: true });
  // attempt() wrote the completion already; the lock lines of attempt 2 fall inside it.
  w.line(5015, 'worker', 'worker-2', EVENTS.LOCK_ACQUIRED, ids(2, 2));
  w.line(10_990, 'worker', 'worker-2', EVENTS.RESULT_WRITTEN, ids(2, 2));
  const at = opts.resumeAt;
  if (opts.resumedLines !== false) {
    w.line(at, 'worker', 'worker-1', EVENTS.TASK_RESUMED, { ...ids(1, 1), [F.EVENT_DURATION]: 8900 * NS_PER_MS });
    w.line(at, 'worker', 'worker-1', EVENTS.TASK_LEASE_LOST, ids(1, 1));
  }
  w.line(at + 1, 'worker', 'worker-1', EVENTS.LOCK_LOST, ids(1, 1));
  w.line(at + 3, 'worker', 'worker-1', EVENTS.RESULT_WRITE_REJECTED, ids(1, 1));
  if (opts.finishRefused !== false)
    w.line(at + 5, 'worker', 'worker-1', EVENTS.TASK_FINISH_REFUSED, {
      ...ids(1, 1),
      [F.EVENT_OUTCOME]: 'failure',
      [F.ERROR_CODE]: 'DTQ_ERR_LOCK_WRITE_REJECTED',
      [F.ERROR_MESSAGE]: 'result write rejected',
    });
  return w;
}

function trace(w: LogWriter) {
  return buildTrace(w.hits(), { correlationId: CID, now: T0 + 60_000, source: 'files' });
}

describe('step tasks: an attempt whose worker lost its lease and resumed', () => {
  it('is lease_lost, not lost or stalled, with the pause, the resume, its refused write and its refused end', () => {
    const t = trace(frozenAndResumed({ resumeAt: 9000 }));
    const [first, second] = t.tasks[0]?.attempts ?? [];
    expect(first).toMatchObject({
      number: 1,
      instance: 'worker-1',
      result: 'lease_lost',
      endedAt: T0 + 9005,
      failure: 'DTQ_ERR_LOCK_WRITE_REJECTED: result write rejected',
      lease: { lostAt: T0 + 9000, pausedMs: 8900, resumedAt: T0 + 9000, finishRefusedAt: T0 + 9005 },
      write: { outcome: 'rejected', fencingToken: 1, at: T0 + 9003 },
    });
    expect(second).toMatchObject({
      result: 'succeeded',
      lease: undefined,
      write: { outcome: 'written', fencingToken: 2 },
    });
    expect(t.tasks[0]?.outcome).toBe('succeeded');
    expect(t.gaps).toEqual([]);
  });

  it('puts the resumed worker’s lines in its own attempt, not in the redelivered one', () => {
    const t = trace(frozenAndResumed({ resumeAt: 9000 }));
    const [first, second] = t.tasks[0]?.attempts ?? [];
    const actions = (ids: readonly number[]) => ids.map((id) => t.lines[id]?.action);
    expect(actions(first?.lineIds ?? [])).toEqual([
      EVENTS.TASK_STARTED,
      EVENTS.LOCK_ACQUIRED,
      EVENTS.TASK_STALLED,
      EVENTS.TASK_RESUMED,
      EVENTS.TASK_LEASE_LOST,
      EVENTS.LOCK_LOST,
      EVENTS.RESULT_WRITE_REJECTED,
      EVENTS.TASK_FINISH_REFUSED,
    ]);
    expect(actions(second?.lineIds ?? [])).not.toContain(EVENTS.RESULT_WRITE_REJECTED);
  });

  it('reads a resume from lines written after the redelivery even without task.resumed', () => {
    const t = trace(frozenAndResumed({ resumeAt: 12_000, resumedLines: false, finishRefused: false }));
    const first = t.tasks[0]?.attempts[0];
    expect(first).toMatchObject({
      result: 'lease_lost',
      lease: { lostAt: T0 + 12_001, pausedMs: undefined, resumedAt: T0 + 12_001, finishRefusedAt: undefined },
      endedAt: T0 + 12_003,
    });
  });

  it('keeps an attempt that only stood still a while (task.resumed, no lease lost) running, then succeeded', () => {
    const w = new LogWriter();
    w.post({ ms: 0, cid: CID, taskId: TASK });
    w.attempt({ ms: 20, cid: CID, taskId: TASK, worker: 'worker-1', attempt: 1, die: true });
    w.line(2000, 'worker', 'worker-1', EVENTS.TASK_RESUMED, { ...ids(1), [F.EVENT_DURATION]: 1600 * NS_PER_MS });
    const running = trace(w);
    expect(running.tasks[0]?.attempts[0]).toMatchObject({
      result: 'running',
      lease: { pausedMs: 1600, resumedAt: T0 + 2000, lostAt: undefined, finishRefusedAt: undefined },
    });
    expect(running.tasks[0]?.outcome).toBe('running');
    w.line(2100, 'worker', 'worker-1', EVENTS.TASK_COMPLETED, { ...ids(1), [F.EVENT_DURATION]: 2080 * NS_PER_MS });
    expect(trace(w).tasks[0]?.attempts[0]?.result).toBe('succeeded');
  });

  it('still calls a worker that wrote nothing after the stall dead', () => {
    const w = new LogWriter();
    w.post({ ms: 0, cid: CID, taskId: TASK });
    w.attempt({ ms: 20, cid: CID, taskId: TASK, worker: 'worker-1', attempt: 1, die: true });
    w.line(5000, 'worker', 'worker-2', EVENTS.TASK_STALLED, ids(1));
    w.attempt({ ms: 5010, cid: CID, taskId: TASK, worker: 'worker-2', attempt: 2, redelivered: true });
    const t = trace(w);
    expect(t.tasks[0]?.attempts.map((a) => a.result)).toEqual(['stalled', 'succeeded']);
    expect(t.gaps.map((g) => g.kind)).toEqual(['never_finished']);
  });
});

describe('rows of an overtaken attempt', () => {
  it('say lease lost, resumed, write rejected and end refused, and which write counted', () => {
    const rows = traceToRows(trace(frozenAndResumed({ resumeAt: 9000 })));
    const labels = rows.map((r) => r.label);
    const attempt1 = labels.find((l) => l.startsWith('attempt 1'));
    expect(attempt1).toBe(
      'attempt 1 · worker-1 · 8.98 s · lease lost (process stood still 8.90 s) · resumed · result write rejected (token 1) · its end refused by the queue',
    );
    expect(labels).toContain('worker-1 stopped renewing its lease; redelivered to worker-2 after 4.99 s');
    expect(labels.find((l) => l.startsWith('attempt 2'))).toBe(
      'attempt 2 · worker-2 · 6.00 s · succeeded · result written (token 2)',
    );
    const lease = rows.filter((r) => r.kind === 'lease').map((r) => [r.label, r.lane, r.isError]);
    expect(lease).toEqual([
      ['found its lease lost: the job may run elsewhere', 'worker-1', true],
      ['resumed after standing still 8.90 s', 'worker-1', false],
      ['result write rejected (token 1)', 'worker-1', true],
      ['its end refused by the queue: the job belongs to a newer attempt', 'worker-1', true],
    ]);
    expect(labels.join('\n')).not.toMatch(/worker died/);
  });
});
