import { describe, expect, it } from 'vitest';
import type { Hit } from '../../explorer/model/types.ts';
import { LIVE_OVERLAP_MS, LiveWindow } from '../../explorer/sources/live-window.ts';
import { LogWriter, T0 } from './fixtures.ts';

/** The lines of `w` as search hits, each under its own document id and with its time. */
function hitsOf(w: LogWriter, batch: string): Hit[] {
  return w.hits(batch).map((hit) => ({ ...hit, at: Date.parse(String(hit.record['@timestamp'])) }));
}

const ids = (hits: readonly Hit[]) => hits.map((hit) => hit.source);

describe('the window --follow keeps between passes over Elasticsearch', () => {
  it('reads from the newest line held, less the overlap, and drops lines it read already', () => {
    const w = new LogWriter();
    w.post({ ms: 0, cid: 'req-1', taskId: 'task-1' });
    const first = hitsOf(w, 'a');
    const window = new LiveWindow(10, undefined);
    expect(window.readFrom).toBeUndefined();
    window.reset(first);
    const newest = Math.max(...first.map((hit) => hit.at ?? 0));
    expect(window.readFrom).toBe(newest - LIVE_OVERLAP_MS);
    // The overlap brings the same lines back with a new one of req-1 and one of a new request.
    const next = new LogWriter();
    next.attempt({ ms: 10, cid: 'req-1', taskId: 'task-1', worker: 'worker-1', attempt: 1 });
    next.post({ ms: 20, cid: 'req-2', taskId: 'task-2' });
    const arrived = window.arrived([...first, ...hitsOf(next, 'b')]);
    expect(arrived.unknown).toEqual(['req-2']);
    expect(ids(arrived.fresh)).toEqual(ids(hitsOf(next, 'b')));
    window.merge(
      arrived.fresh,
      hitsOf(next, 'b').filter((hit) => hit.record.correlation_id === 'req-2'),
    );
    expect(window.size).toBe(2);
    expect(window.lines()).toHaveLength(first.length + hitsOf(next, 'b').length);
  });

  it('hands its lines on in time order, then sequence, whatever order they arrived in', () => {
    const w = new LogWriter();
    w.post({ ms: 0, cid: 'req-1', taskId: 'task-1' });
    w.attempt({ ms: 10, cid: 'req-1', taskId: 'task-1', worker: 'worker-1', attempt: 1 });
    const hits = hitsOf(w, 'a');
    const window = new LiveWindow(10, undefined);
    window.reset([...hits].reverse());
    const times = window.lines().map((hit) => hit.at ?? 0);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(window.lines()).toHaveLength(hits.length);
  });

  it('keeps the newest `limit` requests by their first line in the window; a tie goes to the smaller id', () => {
    const w = new LogWriter();
    w.post({ ms: 0, cid: 'req-old', taskId: 'task-old' });
    w.post({ ms: 100, cid: 'req-b', taskId: 'task-b' });
    w.post({ ms: 100, cid: 'req-a', taskId: 'task-a' });
    const window = new LiveWindow(2, T0 - 1000);
    window.reset(hitsOf(w, 'a'));
    expect(window.size).toBe(2);
    expect(new Set(window.lines().map((hit) => hit.record.correlation_id))).toEqual(new Set(['req-a', 'req-b']));
  });

  it('ranks by a line in the window only: a request whose work opened before it does not rank', () => {
    const w = new LogWriter();
    w.post({ ms: 0, cid: 'req-before', taskId: 'task-before' });
    w.attempt({ ms: 5000, cid: 'req-before', taskId: 'task-before', worker: 'worker-1', attempt: 1 });
    w.post({ ms: 4000, cid: 'req-in', taskId: 'task-in' });
    const window = new LiveWindow(5, T0 + 1000);
    window.reset(hitsOf(w, 'a'));
    expect(new Set(window.lines().map((hit) => hit.record.correlation_id))).toEqual(new Set(['req-in']));
  });
});
