import { describe, expect, it } from 'vitest';
import { buildTrace } from '../../explorer/model/build-trace.ts';
import { traceToRows } from '../../explorer/model/rows.ts';
import { EVENTS } from '../../workload/log/vocabulary.ts';
import { LogWriter, T0 } from './fixtures.ts';

describe('clock skew repair', () => {
  it('moves a worker whose clock runs behind so the job starts after it was enqueued, and says so', () => {
    const w = new LogWriter();
    w.post({ ms: 1000, cid: 'skew', taskId: 't' });
    // worker-3's clock is 400 ms behind: it writes the start before the enqueue.
    w.attempt({ ms: 610, cid: 'skew', taskId: 't', worker: 'worker-3', attempt: 1, durationMs: 100 });
    const trace = buildTrace(w.hits(), { correlationId: 'skew', now: T0 + 10_000, source: 'files' });
    expect(trace.skew).toHaveLength(1);
    expect(trace.skew[0]?.instance).toBe('worker-3');
    expect(trace.skew[0]?.shiftMs).toBe(392);
    const task = trace.tasks[0];
    expect(task?.attempts[0]?.startedAt).toBeGreaterThanOrEqual(task?.enqueuedAt ?? Number.POSITIVE_INFINITY);
    const actions = trace.lines.map((l) => l.action);
    expect(actions.indexOf(EVENTS.TASK_STARTED)).toBeGreaterThan(actions.indexOf(EVENTS.TASK_ENQUEUED));
    expect(trace.warnings.join('\n')).toMatch(/clock skew: shifted worker-3 by \+392 ms/);
    const attemptRow = traceToRows(trace).find((r) => r.kind === 'attempt');
    expect(attemptRow?.note).toContain('skew corrected');
    // The line keeps what it wrote: the correction is annotated, not hidden.
    const started = trace.lines.find((l) => l.action === EVENTS.TASK_STARTED);
    expect(started ? started.at - started.writtenAt : 0).toBe(392);
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
    expect(trace.skew.map((s) => s.instance)).toEqual(['api-2']);
    const request = trace.requests[0];
    expect(request?.receivedAt).toBeGreaterThanOrEqual(request?.nginx?.startedAt ?? Number.POSITIVE_INFINITY);
    expect(request?.respondedAt).toBeLessThanOrEqual(request?.nginx?.endedAt ?? Number.NEGATIVE_INFINITY);
  });

  it('leaves consistent clocks alone', () => {
    const w = new LogWriter();
    w.post({ ms: 0, cid: 'fine', taskId: 't' });
    w.attempt({ ms: 10, cid: 'fine', taskId: 't', worker: 'worker-1', attempt: 1 });
    const trace = buildTrace(w.hits(), { correlationId: 'fine', now: T0 + 10_000, source: 'files' });
    expect(trace.skew).toEqual([]);
  });
});
