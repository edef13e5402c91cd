import { describe, expect, it } from 'vitest';
import { buildTrace } from '../../explorer/model/build-trace.ts';
import { LogWriter, T0 } from './fixtures.ts';

describe('a correlation id reused for several requests', () => {
  it('shows each request as its own branch with its own task', () => {
    const w = new LogWriter();
    w.post({ ms: 0, cid: 'reused', taskId: 'ta', api: 'api-1' });
    w.post({ ms: 500, cid: 'reused', taskId: 'tb', api: 'api-3' });
    w.post({ ms: 900, cid: 'reused', api: 'api-1', status: 400 });
    w.attempt({ ms: 30, cid: 'reused', taskId: 'ta', worker: 'worker-1', attempt: 1 });
    w.attempt({ ms: 530, cid: 'reused', taskId: 'tb', worker: 'worker-2', attempt: 1 });
    const trace = buildTrace(w.hits(), { correlationId: 'reused', now: T0 + 10_000, source: 'files' });
    expect(trace.requests.map((r) => [r.index, r.apiInstance, r.status, r.taskIds])).toEqual([
      [1, 'api-1', 202, ['ta']],
      [2, 'api-3', 202, ['tb']],
      [3, 'api-1', 400, []],
    ]);
    expect(trace.requests.every((r) => r.nginx !== undefined)).toBe(true);
    expect(trace.warnings.join('\n')).toContain('reused by 3 requests');
  });

  it('pairs two requests on one API process with their own nginx lines', () => {
    const w = new LogWriter();
    w.post({ ms: 0, cid: 'same', taskId: 't1', apiMs: 3 });
    w.post({ ms: 50, cid: 'same', taskId: 't2', apiMs: 9 });
    const trace = buildTrace(w.hits(), { correlationId: 'same', now: T0 + 10_000, source: 'files' });
    expect(trace.requests.map((r) => r.nginx?.endedAt)).toEqual([T0 + 5, T0 + 61]);
    expect(trace.requests.map((r) => r.taskIds)).toEqual([['t1'], ['t2']]);
  });
});
