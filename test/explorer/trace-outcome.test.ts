import { describe, expect, it } from 'vitest';
import { buildTrace } from '../../explorer/model/build-trace.ts';
import { deadLettered, happyPath, LogWriter, T0 } from './fixtures.ts';

const NOW = T0 + 60_000;

describe('the outcome, stated plainly', () => {
  it('flags a 202 whose job failed every attempt later', () => {
    const trace = buildTrace(deadLettered().hits(), { correlationId: 'req-dlq-1', now: NOW, source: 'files' });
    expect(trace.outcome.status).toBe('failed');
    expect(trace.outcome.divergence).toBe(
      '202 at 10:15:23.017, job was dead-lettered 3 attempts later at 10:15:26.241',
    );
    const task = trace.tasks[0];
    expect(task?.outcome).toBe('dead_lettered');
    expect(task?.attempts.map((a) => [a.number, a.instance, a.result, a.retryDelayMs])).toEqual([
      [1, 'worker-1', 'failed', 1000],
      [2, 'worker-3', 'failed', 2000],
      [3, 'worker-2', 'failed', undefined],
    ]);
    expect(task?.attempts[0]?.failure).toBe('DTQ_ERR_TASK_TRANSIENT: upstream price feed timed out');
  });

  it('says what succeeded, where and when', () => {
    const trace = buildTrace(happyPath().hits(), { correlationId: 'req-happy-1', now: NOW, source: 'files' });
    expect(trace.outcome.summary).toBe(
      'POST /api/v1/tasks → 202 at 10:15:23.005; task task-happy-1 succeeded after 1 attempt at 10:15:23.360 on worker-2',
    );
    expect(trace.outcome.divergence).toBeUndefined();
  });

  it('flags a 5xx from nginx when the job ran anyway', () => {
    const w = new LogWriter();
    w.post({ ms: 0, cid: 'timeout', taskId: 't', apiMs: 5 });
    // nginx gave up on the upstream and answered 504 while the API had enqueued.
    const last = w.records.at(-1);
    if (last) {
      last['http.response.status_code'] = '504';
    }
    w.attempt({ ms: 30, cid: 'timeout', taskId: 't', worker: 'worker-1', attempt: 1 });
    const trace = buildTrace(w.hits(), { correlationId: 'timeout', now: NOW, source: 'files' });
    expect(trace.outcome.divergence).toMatch(/^client got 504 at 10:15:23.007, but task t ran and succeeded/);
  });

  it('reports an unknown correlation id as nothing found rather than failing', () => {
    const trace = buildTrace([], { correlationId: 'nope', now: NOW, source: 'files' });
    expect(trace.outcome.status).toBe('unknown');
    expect(trace.lines).toEqual([]);
  });
});
