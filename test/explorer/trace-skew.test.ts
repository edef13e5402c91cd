import { describe, expect, it } from 'vitest';
import { EVENTS, F, NS_PER_MS } from '../../contract/vocabulary.ts';
import { buildTrace } from '../../explorer/model/build-trace.ts';
import { traceToRows } from '../../explorer/model/rows.ts';
import { LogWriter, T0 } from './fixtures.ts';

const TASK = 't';

/**
 * A POST whose API spends a while inside BullMQ's add: received at `ms + 1`, `enqueued_at`
 * read at `ms + 3`, the `task.enqueued` line written once the add returned at `ms + 9`.
 * `apiOffset` moves every API line (an API clock that is off).
 */
function slowAddPost(w: LogWriter, cid: string, ms: number, apiOffset = 0): void {
  const http = { [F.CORRELATION_ID]: cid, [F.HTTP_METHOD]: 'POST', [F.URL_PATH]: '/api/v1/tasks' };
  w.line(ms + 1 + apiOffset, 'api', 'api-1', EVENTS.HTTP_REQUEST_RECEIVED, http);
  w.line(ms + 9 + apiOffset, 'api', 'api-1', EVENTS.TASK_ENQUEUED, {
    [F.CORRELATION_ID]: cid,
    [F.TASK_ID]: TASK,
    [F.TASK_QUEUE]: 'high',
    [F.TASK_TYPE]: 'calculate_var',
  });
  w.line(ms + 10 + apiOffset, 'api', 'api-1', EVENTS.HTTP_REQUEST_COMPLETED, {
    ...http,
    [F.HTTP_STATUS]: 202,
    [F.EVENT_DURATION]: 9 * NS_PER_MS,
    [F.TASK_ID]: TASK,
  });
  w.nginx(ms + 11, cid, 'POST', '/api/v1/tasks', 202, 0.011);
}

function build(w: LogWriter, cid: string) {
  return buildTrace(w.hits(), { correlationId: cid, now: T0 + 60_000, source: 'files' });
}

function queueWaitRow(trace: ReturnType<typeof build>) {
  return traceToRows(trace).find((r) => r.kind === 'queue_wait');
}

describe('clock skew repair', () => {
  it('moves a worker whose clock runs seconds behind so the job starts after it could exist, and says so', () => {
    const w = new LogWriter();
    w.post({ ms: 1000, cid: 'skew', taskId: TASK });
    // worker-3's clock is 3 s behind: its start reads before the enqueue, so the wait it
    // measured against enqueued_at came out negative and was written as 0.
    w.attempt({ ms: -1990, cid: 'skew', taskId: TASK, worker: 'worker-3', attempt: 1, queueWaitMs: 0 });
    const trace = build(w, 'skew');
    // The job cannot predate the API's last line before the add (received at 1001).
    expect(trace.skew).toEqual([
      {
        instance: 'worker-3',
        shiftMs: 2991,
        reason: `${EVENTS.TASK_STARTED} on worker-3 was written 2.99 s before api-1 began enqueuing its job (after its ${EVENTS.HTTP_REQUEST_RECEIVED} line)`,
      },
    ]);
    const received = trace.lines.find((l) => l.action === EVENTS.HTTP_REQUEST_RECEIVED);
    const started = trace.lines.find((l) => l.action === EVENTS.TASK_STARTED);
    expect(started?.at).toBeGreaterThanOrEqual(received?.at ?? Number.POSITIVE_INFINITY);
    // The line keeps what it wrote: the correction is annotated, not hidden.
    expect(started ? started.at - started.writtenAt : 0).toBe(2991);
    expect(trace.warnings.join('\n')).toMatch(/clock skew: shifted worker-3 by \+2\.99 s/);
    const rows = traceToRows(trace);
    expect(rows.find((r) => r.kind === 'attempt')?.note).toContain('skew corrected');
    // Its wait is unknown below the correction, so none is drawn: not the 2.99 s shift.
    const wait = queueWaitRow(trace);
    expect(wait?.label).toContain('queue wait · high · 0.00 ms');
    expect(wait?.end).toBe(wait?.start);
  });

  it('does not call a fast worker skewed when it starts the job before the API wrote task.enqueued', () => {
    // One machine, one clock: the add returned at 1009 and the API logged then, but worker-1
    // picked the job up at 1005, 2 ms after enqueued_at (1003), and wrote that wait.
    const w = new LogWriter();
    slowAddPost(w, 'fast', 1000);
    w.attempt({ ms: 1005, cid: 'fast', taskId: TASK, worker: 'worker-1', attempt: 1, queueWaitMs: 2 });
    const trace = build(w, 'fast');
    expect(trace.skew).toEqual([]);
    expect(trace.warnings.join('\n')).not.toContain('clock skew');
    const started = trace.lines.find((l) => l.action === EVENTS.TASK_STARTED);
    expect(started?.at).toBe(started?.writtenAt);
    // The queue wait is the worker's own: from enqueued_at, not from the API's later line.
    const wait = queueWaitRow(trace);
    expect(wait?.label).toContain('queue wait · high · 2.0 ms');
    expect(wait?.start).toBe(T0 + 1003 - trace.startedAt);
    expect(wait?.end).toBe(T0 + 1005 - trace.startedAt);
    expect(traceToRows(trace).find((r) => r.kind === 'attempt')?.note).toBeUndefined();
  });

  it('does not call a start inside the add skewed when the wait cannot tell (0, or not written)', () => {
    const zero = new LogWriter();
    slowAddPost(zero, 'zero', 1000);
    zero.attempt({ ms: 1003, cid: 'zero', taskId: TASK, worker: 'worker-1', attempt: 1, queueWaitMs: 0 });
    const zeroTrace = build(zero, 'zero');
    expect(zeroTrace.skew).toEqual([]);
    expect(queueWaitRow(zeroTrace)?.label).toContain('0.00 ms');

    const unwritten = new LogWriter();
    slowAddPost(unwritten, 'unwritten', 1000);
    unwritten.attempt({ ms: 1006, cid: 'unwritten', taskId: TASK, worker: 'worker-1', attempt: 1 });
    for (const record of unwritten.records) delete record[F.TASK_QUEUE_WAIT];
    expect(build(unwritten, 'unwritten').skew).toEqual([]);
  });

  it('reads the enqueue instant on the API’s corrected clock, so a worker is not blamed for the API’s skew', () => {
    // api-1 is 300 ms behind nginx and the worker. The worker's wait counts from enqueued_at on
    // api-1's clock (703 as written, 1003 really) and says 301 ms; it started at 1004, before
    // api-1's task.enqueued line once that is corrected (709 + 299 = 1008).
    const w = new LogWriter();
    slowAddPost(w, 'api-behind', 1000, -300);
    w.attempt({ ms: 1004, cid: 'api-behind', taskId: TASK, worker: 'worker-1', attempt: 1, queueWaitMs: 301 });
    const trace = build(w, 'api-behind');
    expect(trace.skew.map((s) => [s.instance, s.shiftMs])).toEqual([['api-1', 299]]);
    const wait = queueWaitRow(trace);
    // enqueued_at on the corrected clock: 703 + 299.
    expect(wait?.start).toBe(T0 + 1002 - trace.startedAt);
    expect(wait?.end).toBe(T0 + 1004 - trace.startedAt);
  });

  it('moves a worker that starts the retry before the previous attempt ended on another worker', () => {
    const w = new LogWriter();
    w.post({ ms: 0, cid: 'retry', taskId: TASK });
    w.attempt({
      ms: 10,
      cid: 'retry',
      taskId: TASK,
      worker: 'worker-1',
      attempt: 1,
      durationMs: 100,
      fail: 'boom',
      retryDelayMs: 500,
    });
    // worker-2 is 2 s behind: the retry, due at 610, reads -1,390. Its wait counts from the
    // retry's due time, not from enqueued_at, so it says nothing about the enqueue.
    w.attempt({ ms: -1390, cid: 'retry', taskId: TASK, worker: 'worker-2', attempt: 2, queueWaitMs: 0 });
    const trace = build(w, 'retry');
    expect(trace.skew.map((s) => [s.instance, s.shiftMs])).toEqual([['worker-2', 1501]]);
    expect(trace.skew[0]?.reason).toContain('before the previous attempt ended on worker-1');
    const attempts = trace.tasks[0]?.attempts ?? [];
    expect(attempts.map((a) => [a.number, a.instance, a.result])).toEqual([
      [1, 'worker-1', 'failed'],
      [2, 'worker-2', 'succeeded'],
    ]);
    expect(attempts[1]?.startedAt).toBeGreaterThan(attempts[0]?.endedAt ?? Number.POSITIVE_INFINITY);
  });

  it('moves an API whose clock runs ahead back inside nginx’s span of the request', () => {
    const w = new LogWriter();
    w.post({ ms: 0, cid: 'ahead', api: 'api-2', status: 400 });
    // Rewrite api-2's lines 250 ms into the future.
    for (const record of w.records) {
      if (record['service.instance'] === 'api-2')
        record['@timestamp'] = new Date(Date.parse(String(record['@timestamp'])) + 250).toISOString();
    }
    const trace = buildTrace(w.hits(), { correlationId: 'ahead', now: T0 + 10_000, source: 'files' });
    // Received at 251 after nginx logged at 5: ahead. Back by enough to end by nginx's line too.
    expect(trace.skew).toEqual([
      {
        instance: 'api-2',
        shiftMs: -249,
        reason: `${EVENTS.HTTP_REQUEST_RECEIVED} on api-2 was written after nginx logged the response`,
      },
    ]);
    const request = trace.requests[0];
    expect(request?.receivedAt).toBeGreaterThanOrEqual(request?.nginx?.startedAt ?? Number.POSITIVE_INFINITY);
    expect(request?.respondedAt).toBeLessThanOrEqual(request?.nginx?.endedAt ?? Number.NEGATIVE_INFINITY);
  });

  it('does not call an API skewed when its completion line comes after nginx logged', () => {
    // The API writes http.request.completed on the response's 'finish', after the bytes left;
    // with a busy event loop nginx can log first (3 to 16 ms seen in fidelity runs).
    const w = new LogWriter();
    w.post({ ms: 0, cid: 'late-finish', taskId: TASK, apiMs: 20 });
    for (const record of w.records)
      if (record[F.EVENT_ACTION] === EVENTS.NGINX_ACCESS) {
        record[F.NGINX_MSEC] = ((T0 + 9) / 1000).toFixed(3);
        record[F.NGINX_REQUEST_TIME] = '0.009';
      }
    const trace = build(w, 'late-finish');
    const request = trace.requests[0];
    expect(request?.nginx?.endedAt).toBe(T0 + 9);
    expect(request?.respondedAt).toBe(T0 + 21);
    expect(trace.skew).toEqual([]);
  });

  it('leaves consistent clocks alone', () => {
    const w = new LogWriter();
    w.post({ ms: 0, cid: 'fine', taskId: TASK });
    w.attempt({ ms: 10, cid: 'fine', taskId: TASK, worker: 'worker-1', attempt: 1 });
    const trace = buildTrace(w.hits(), { correlationId: 'fine', now: T0 + 10_000, source: 'files' });
    expect(trace.skew).toEqual([]);
  });
});
