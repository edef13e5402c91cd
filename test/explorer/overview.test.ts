import { describe, expect, it } from 'vitest';
import { F } from '../../contract/vocabulary.ts';
import { isStuck, overview, p95ByType, percentiles } from '../../explorer/model/overview.ts';
import { RequestLedger } from '../../explorer/model/request-list.ts';
import { overviewToJson, renderOverviewPlain, sparkline } from '../../explorer/output/overview-plain.ts';
import { deadLettered, duplicatesScenario, happyPath, LogWriter, T0 } from './fixtures.ts';
import { controls } from './hostile-fixtures.ts';

function report(w: LogWriter) {
  const ledger = new RequestLedger().addAll(w.hits());
  return overview(ledger.summaries(), ledger.tasks());
}

function fixtures(): LogWriter {
  const w = duplicatesScenario();
  deadLettered(w);
  happyPath(w);
  w.post({ ms: 2000, cid: 'req-5xx', status: 503 });
  return w;
}

describe('the overview of a window', () => {
  it('takes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentiles(values)).toEqual({ count: 100, p50: 50, p95: 95, p99: 99, max: 100 });
    expect(percentiles([7])).toEqual({ count: 1, p50: 7, p95: 7, p99: 7, max: 7 });
    expect(percentiles([])).toBeUndefined();
  });

  it('counts requests, status classes, task outcomes, blocked duplicates and the error share', () => {
    const o = report(fixtures());
    expect(o.requests).toBe(8);
    expect(o.from).toBe(T0 + 1);
    expect(o.to).toBe(T0 + 2001);
    expect(o.requestsPerSecond).toBeCloseTo(8 / 2, 5);
    expect(o.requestsOverTime.reduce((a, b) => a + b, 0)).toBe(8);
    expect(o.statusClasses).toEqual([
      { status: '2xx', count: 5 },
      { status: '4xx', count: 2 },
      { status: '5xx', count: 1 },
    ]);
    expect(o.states).toEqual([
      { state: 'succeeded', count: 3 },
      { state: 'dead-lettered', count: 1 },
      { state: 'duplicate', count: 3 },
    ]);
    expect(o.tasks).toBe(4);
    // req-dlq-1 and the 503.
    expect(o.errorShare).toBeCloseTo(2 / 8, 5);
  });

  it('gives latency percentiles of requests, queue waits and run times, and the slowest and failing task types', () => {
    const w = new LogWriter();
    for (let i = 0; i < 20; i++) {
      const type = i % 2 ? 'stress_test' : 'calculate_var';
      w.post({ ms: i * 10, cid: `req-${i}`, taskId: `task-${i}`, taskType: type, apiMs: 1 + i });
      w.attempt({
        ms: i * 10 + 5,
        cid: `req-${i}`,
        taskId: `task-${i}`,
        worker: 'worker-1',
        attempt: 1,
        queueWaitMs: i,
        durationMs: type === 'stress_test' ? 100 + i : 10,
        ...(i === 3 ? { fail: 'boom' } : {}),
      });
    }
    const o = report(w);
    // nginx's request time is the API's + 2 ms: 3 … 22 ms.
    expect(o.latency.request).toEqual({ count: 20, p50: 12, p95: 21, p99: 22, max: 22 });
    expect(o.latency.queueWait).toMatchObject({ count: 20, p50: 9, max: 19 });
    expect(o.latency.run?.count).toBe(20);
    expect(o.slowestTypes.map((t) => t.type)).toEqual(['stress_test', 'calculate_var']);
    expect(o.slowestTypes[0]?.run?.p95).toBe(119);
    expect(o.failingTypes).toEqual([expect.objectContaining({ type: 'stress_test', failed: 1, tasks: 10 })]);
  });

  it('prints the figures as text and JSON, logged task types made printable', () => {
    const w = fixtures();
    w.post({ ms: 2100, cid: 'req-evil', taskId: 'task-evil', taskType: 'evil\u001b]0;x\u0007' });
    w.attempt({ ms: 2110, cid: 'req-evil', taskId: 'task-evil', worker: 'worker-1', attempt: 1 });
    for (const record of w.records)
      if (record[F.CORRELATION_ID] === 'req-evil') record[F.TASK_TYPE] = 'evil\u001b]0;x\u0007';
    const o = report(w);
    const text = renderOverviewPlain(o, 'files in /tmp/x');
    expect(text).toContain('requests      9 · 4.3/s');
    expect(text).toContain('tasks         5: succeeded 4 · dead-lettered 1 · duplicate 3');
    expect(text).toMatch(/request +\d/);
    expect(text).toContain('evil\\x1b]0;x\\x07');
    expect(controls(text)).toEqual([]);
    const json = overviewToJson(o, { kind: 'files', description: 'x' });
    expect(json).toMatchObject({ schema: 'dtq-explore/overview@1', requests: 9, states: { 'dead-lettered': 1 } });
    expect(renderOverviewPlain(report(new LogWriter()), 'x')).toContain('No requests in this range');
  });

  it('draws counts as a sparkline, the highest as a full block', () => {
    expect(sparkline([0, 1, 2, 4])).toBe('▁▂▄█');
    expect(sparkline([0, 0])).toBe('▁▁');
  });
});

describe('stuck work', () => {
  it('is an attempt running longer than three times its type’s p95 run time', () => {
    const w = new LogWriter();
    for (let i = 0; i < 10; i++)
      w.attempt({ ms: i * 100, cid: `done-${i}`, taskId: `done-${i}`, worker: 'worker-1', attempt: 1, durationMs: 40 });
    w.post({ ms: 2000, cid: 'req-slow', taskId: 'task-slow' });
    w.attempt({ ms: 2010, cid: 'req-slow', taskId: 'task-slow', worker: 'worker-2', attempt: 1, die: true });
    const ledger = new RequestLedger().addAll(w.hits());
    const p95 = p95ByType(ledger.tasks());
    expect(p95.get('calculate_var')).toBe(40);
    const slow = ledger.summaries().find((s) => s.correlationId === 'req-slow');
    expect(slow?.runningSince).toBe(T0 + 2010);
    if (slow === undefined) throw new Error('no row');
    expect(isStuck(slow, p95, T0 + 2010 + 120)).toBe(false);
    expect(isStuck(slow, p95, T0 + 2010 + 121)).toBe(true);
    // A type without a finished attempt has no yardstick.
    expect(isStuck(slow, new Map(), T0 + 60_000)).toBe(false);
    const done = ledger.summaries().find((s) => s.correlationId === 'done-1');
    expect(done?.runningSince).toBeUndefined();
  });
});
