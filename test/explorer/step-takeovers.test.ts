import { describe, expect, it } from 'vitest';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { buildTrace } from '../../explorer/model/build-trace.ts';
import { traceToRows } from '../../explorer/model/rows.ts';
import { LogWriter, T0 } from './fixtures.ts';

const FIRST = 'req-first';
const TAKER = 'req-taker';
const TASK = 'task-shared';
const KEY = 'order-7';

/**
 * FIRST claims KEY and enqueues TASK, then hangs; a conflict arrives during its lease; the lease
 * runs out at 11 s and TAKER takes the claim over, its enqueue a no-op; a later request is
 * replayed TAKER's answer; at 20 s FIRST finishes and finds its claim gone.
 */
function takeover(opts: { claimLost?: boolean } = {}): LogWriter {
  const w = new LogWriter();
  const keyed = { [F.IDEMPOTENCY_KEY]: KEY };
  w.post({ ms: 0, cid: FIRST, taskId: TASK, key: KEY, apiMs: 20_000 });
  w.line(2000, 'api', 'api-2', EVENTS.IDEMPOTENCY_IN_FLIGHT_CONFLICT, {
    [F.CORRELATION_ID]: 'req-conflict',
    ...keyed,
    [F.ORIGINAL_TASK_ID]: TASK,
    [F.ORIGINAL_CORRELATION_ID]: FIRST,
  });
  w.post({
    ms: 11_000,
    cid: TAKER,
    key: KEY,
    between: (ms) => {
      w.line(ms, 'api', 'api-1', EVENTS.IDEMPOTENCY_TAKEN_OVER, {
        [F.CORRELATION_ID]: TAKER,
        ...keyed,
        [F.TASK_ID]: TASK,
        [F.ORIGINAL_TASK_ID]: TASK,
        [F.ORIGINAL_CORRELATION_ID]: FIRST,
      });
      w.line(ms, 'api', 'api-1', EVENTS.TASK_ALREADY_ENQUEUED, {
        [F.CORRELATION_ID]: TAKER,
        ...keyed,
        [F.TASK_ID]: TASK,
        [F.TASK_QUEUE]: 'high',
        [F.ORIGINAL_TASK_ID]: TASK,
        [F.ORIGINAL_CORRELATION_ID]: FIRST,
      });
    },
  });
  w.line(12_000, 'api', 'api-2', EVENTS.IDEMPOTENCY_REPLAYED, {
    [F.CORRELATION_ID]: 'req-replay',
    ...keyed,
    [F.ORIGINAL_TASK_ID]: TASK,
    [F.ORIGINAL_CORRELATION_ID]: TAKER,
  });
  if (opts.claimLost !== false)
    w.line(20_001, 'api', 'api-1', EVENTS.IDEMPOTENCY_CLAIM_LOST, {
      [F.CORRELATION_ID]: FIRST,
      ...keyed,
      [F.TASK_ID]: TASK,
    });
  w.attempt({ ms: 50, cid: FIRST, taskId: TASK, worker: 'worker-1', attempt: 1, durationMs: 100 });
  return w;
}

function trace(w: LogWriter, cid: string) {
  return buildTrace(w.hits(), { correlationId: cid, now: T0 + 60_000, source: 'files' });
}

describe('an idempotency lease takeover in the taker’s trace', () => {
  it('shows the job as the first request’s, its own enqueue a no-op, and the takeover with both ids', () => {
    const t = trace(takeover(), TAKER);
    expect(t.tasks).toHaveLength(1);
    expect(t.tasks[0]).toMatchObject({
      taskId: TASK,
      enqueuedAt: T0 + 2,
      enqueuedBy: FIRST,
      alreadyEnqueued: [{ at: T0 + 11_002, correlationId: TAKER }],
    });
    expect(t.takeovers).toEqual([
      expect.objectContaining({
        direction: 'took_over',
        correlationId: TAKER,
        originalCorrelationId: FIRST,
        taskId: TASK,
        idempotencyKey: KEY,
        claimLostAt: T0 + 20_001,
      }),
    ]);
    const labels = traceToRows(t).map((r) => r.label);
    expect(labels).toContain(`enqueued on high (priority high) by request ${FIRST}`);
    expect(labels).toContain(`enqueue was a no-op: the job existed already (enqueued by request ${FIRST})`);
    expect(labels).toContain(
      `took over key ${KEY} from request ${FIRST}: its claim's lease ran out; request ${FIRST} finished later and found its claim gone at 10:15:43.001 (its answer was not stored)`,
    );
  });

  it('lists as pointing here only the duplicates that name it, not those of the first request', () => {
    const t = trace(takeover(), TAKER);
    expect(t.duplicates.map((d) => [d.direction, d.correlationId])).toEqual([['incoming', 'req-replay']]);
  });

  it('starts the request when it arrived, not at the other request’s enqueue', () => {
    const t = trace(takeover(), TAKER);
    const request = traceToRows(t).find((r) => r.kind === 'request');
    // It arrived about 11 s after the job was enqueued by the first request; the job's rows keep their times.
    expect(request?.start).toBeGreaterThan(10_900);
    expect(traceToRows(t).find((r) => r.kind === 'enqueue')?.start).toBeLessThan(100);
  });

  it('says the first request may still be running while no claim_lost line tells otherwise', () => {
    const labels = traceToRows(trace(takeover({ claimLost: false }), TAKER)).map((r) => r.label);
    expect(labels).toContain(
      `took over key ${KEY} from request ${FIRST}: its claim's lease ran out; request ${FIRST} may still be running`,
    );
  });
});

describe('an idempotency lease takeover in the first request’s trace', () => {
  it('names the taker, and keeps its own duplicates and its task', () => {
    const t = trace(takeover(), FIRST);
    expect(t.takeovers).toEqual([
      expect.objectContaining({ direction: 'taken_from', correlationId: TAKER, originalCorrelationId: FIRST }),
    ]);
    expect(t.tasks[0]).toMatchObject({ taskId: TASK, enqueuedBy: FIRST, enqueuedAt: T0 + 2 });
    expect(t.duplicates.map((d) => [d.direction, d.correlationId])).toEqual([['incoming', 'req-conflict']]);
    const rows = traceToRows(t);
    const top = rows.find((r) => r.kind === 'takeover');
    expect(top).toMatchObject({
      depth: 0,
      label: `request ${TAKER} took over key ${KEY}: this request's claim's lease ran out; this request finished later and found its claim gone at 10:15:43.001 (its answer was not stored)`,
      original: { correlationId: TAKER, taskId: TASK },
    });
    expect(rows.map((r) => r.label)).toContain(
      `enqueue of request ${TAKER} was a no-op: the job existed already (enqueued by this request)`,
    );
  });
});
