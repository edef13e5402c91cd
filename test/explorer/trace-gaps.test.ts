import { describe, expect, it } from 'vitest';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { buildTrace } from '../../explorer/model/build-trace.ts';
import { LogWriter, T0 } from './fixtures.ts';

describe('named gaps', () => {
  it('says "enqueued, never started" for a job that sat in its queue past the stale limit', () => {
    const w = new LogWriter();
    w.post({ ms: 0, cid: 'stuck', taskId: 't', queue: 'low' });
    const trace = buildTrace(w.hits(), { correlationId: 'stuck', now: T0 + 300_000, source: 'files' });
    expect(trace.gaps.map((g) => g.kind)).toEqual(['never_started']);
    expect(trace.gaps[0]?.message).toMatch(/enqueued on low at 10:15:23.002, never started/);
    expect(trace.inFlight).toBe(false);
    expect(trace.outcome.status).toBe('stuck');
  });

  it('treats a fresh queued job as in flight, not as a gap', () => {
    const w = new LogWriter();
    w.post({ ms: 0, cid: 'fresh', taskId: 't' });
    const trace = buildTrace(w.hits(), { correlationId: 'fresh', now: T0 + 1000, source: 'files' });
    expect(trace.gaps).toEqual([]);
    expect(trace.inFlight).toBe(true);
    expect(trace.outcome.status).toBe('in_flight');
  });

  it('says "started, never finished (worker died?)" when a worker vanished and the job was redelivered', () => {
    const w = new LogWriter();
    w.post({ ms: 0, cid: 'killed', taskId: 't' });
    w.attempt({ ms: 10, cid: 'killed', taskId: 't', worker: 'worker-1', attempt: 1, die: true });
    w.line(30_010, 'worker', 'worker-2', EVENTS.TASK_STALLED, {
      [F.CORRELATION_ID]: 'killed',
      [F.TASK_ID]: 't',
      [F.TASK_ATTEMPT]: 1,
    });
    w.attempt({
      ms: 30_020,
      cid: 'killed',
      taskId: 't',
      worker: 'worker-2',
      attempt: 1,
      redelivered: true,
      durationMs: 200,
    });
    const trace = buildTrace(w.hits(), { correlationId: 'killed', now: T0 + 60_000, source: 'files' });
    const task = trace.tasks[0];
    expect(task?.attempts.map((a) => [a.instance, a.result, a.redelivered])).toEqual([
      ['worker-1', 'stalled', false],
      ['worker-2', 'succeeded', true],
    ]);
    expect(task?.outcome).toBe('succeeded');
    expect(trace.gaps.map((g) => g.kind)).toEqual(['never_finished']);
    expect(trace.gaps[0]?.message).toContain('started on worker-1 at 10:15:23.010, never finished (worker died?)');
  });

  it('pins a stall reported after the redelivery started on the attempt that died', () => {
    // As seen in a fidelity run: worker-1 killed; worker-2 starts attempt 2 (redelivered);
    // then worker-3 reports the stall, with the job's new attempt count.
    const w = new LogWriter();
    w.post({ ms: 0, cid: 'late-stall', taskId: 't' });
    w.attempt({ ms: 10, cid: 'late-stall', taskId: 't', worker: 'worker-1', attempt: 1, die: true });
    w.attempt({
      ms: 10_050,
      cid: 'late-stall',
      taskId: 't',
      worker: 'worker-2',
      attempt: 2,
      redelivered: true,
      durationMs: 23_000,
    });
    w.line(10_060, 'worker', 'worker-3', EVENTS.TASK_STALLED, {
      [F.CORRELATION_ID]: 'late-stall',
      [F.TASK_ID]: 't',
      [F.TASK_ATTEMPT]: 2,
    });
    const trace = buildTrace(w.hits(), { correlationId: 'late-stall', now: T0 + 60_000, source: 'files' });
    expect(trace.tasks[0]?.attempts.map((a) => [a.number, a.instance, a.result])).toEqual([
      [1, 'worker-1', 'stalled'],
      [2, 'worker-2', 'succeeded'],
    ]);
  });

  it('names an nginx 502 that no API line accounts for', () => {
    const w = new LogWriter();
    w.nginx(3000, 'lost', 'POST', '/api/v1/tasks', 502, 3.0, '127.0.0.1:3002');
    const trace = buildTrace(w.hits(), { correlationId: 'lost', now: T0 + 10_000, source: 'files' });
    expect(trace.gaps.map((g) => g.message)).toEqual([
      'nginx 502 at 10:15:26.000, no API line (upstream 127.0.0.1:3002)',
    ]);
    expect(trace.outcome.status).toBe('rejected');
  });

  it('warns of shipper lag when an unfinished trace comes from Elasticsearch with recent lines', () => {
    const w = new LogWriter();
    w.post({ ms: 0, cid: 'lag', taskId: 't' });
    w.attempt({ ms: 10, cid: 'lag', taskId: 't', worker: 'worker-1', attempt: 1, die: true });
    const fromEs = buildTrace(w.hits(), { correlationId: 'lag', now: T0 + 2000, source: 'elasticsearch' });
    expect(fromEs.gaps.map((g) => g.kind)).toEqual(['shipper_lag']);
    expect(fromEs.gaps[0]?.message).toMatch(/^shipper lag: newest lines may not be indexed yet/);
    const fromFiles = buildTrace(w.hits(), { correlationId: 'lag', now: T0 + 2000, source: 'files' });
    expect(fromFiles.gaps).toEqual([]);
  });
});
