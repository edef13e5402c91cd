import { describe, expect, it } from 'vitest';
import { EVENTS, F } from '../../contract/vocabulary.ts';
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
    expect(
      window.merge(
        arrived.fresh,
        hitsOf(next, 'b').filter((hit) => hit.record.correlation_id === 'req-2'),
      ),
    ).toBe(true);
    expect(window.size).toBe(2);
    expect(window.lines()).toHaveLength(first.length + hitsOf(next, 'b').length);
  });

  it('does not move its read past its clock for a line stamped ahead, so lines written after it still show', () => {
    const w = new LogWriter();
    w.post({ ms: 0, cid: 'req-1', taskId: 'task-1' });
    // A writer whose clock runs an hour fast.
    w.post({ ms: 3_600_000, cid: 'req-ahead', taskId: 'task-ahead' });
    const first = hitsOf(w, 'a');
    const clock = T0 + 10_000;
    const window = new LiveWindow(10, undefined, () => clock);
    window.reset(first);
    expect(window.readFrom).toBe(clock - LIVE_OVERLAP_MS);
    // Written after the one stamped ahead, stamped right: inside the next read.
    const next = new LogWriter();
    next.post({ ms: 8_000, cid: 'req-2', taskId: 'task-2' });
    const later = hitsOf(next, 'b');
    for (const hit of later) expect(hit.at).toBeGreaterThanOrEqual(window.readFrom ?? Number.POSITIVE_INFINITY);
    // The read brings back the lines stamped ahead too: dropped, they were read already.
    const ahead = first.filter((hit) => hit.record[F.CORRELATION_ID] === 'req-ahead');
    const arrived = window.arrived([...ahead, ...later]);
    expect(ids(arrived.fresh)).toEqual(ids(later));
    expect(arrived.unknown).toEqual(['req-2']);
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

describe('the window --follow keeps, against a window ranked anew', () => {
  it('lists what a fresh ranking lists when a late line makes a held request older than one it let go', () => {
    const request = (w: LogWriter, ms: number, cid: string, action: string) =>
      w.line(ms, 'api', 'api-1', action, { [F.CORRELATION_ID]: cid, [F.URL_PATH]: '/api/v1/tasks' });
    const first = new LogWriter();
    // req-a's nginx line (at its end) is indexed before its API's; req-b opened before req-a ended.
    request(first, 9000, 'req-a', EVENTS.NGINX_ACCESS);
    request(first, 8500, 'req-b', EVENTS.HTTP_REQUEST_RECEIVED);
    const window = new LiveWindow(1, undefined);
    window.reset(hitsOf(first, 'a'));
    expect(ids(window.lines())).toEqual(['a:0']);
    // req-a's API line arrives: req-a opened at 8000, before req-b.
    const late = new LogWriter();
    request(late, 8000, 'req-a', EVENTS.HTTP_REQUEST_RECEIVED);
    const { fresh, unknown } = window.arrived(hitsOf(late, 'b'));
    expect(unknown).toEqual([]);
    // A window ranked anew lists req-b, whose lines this one let go: it says so, and the
    // source ranks the window anew.
    const anew = new LiveWindow(1, undefined);
    anew.reset([...hitsOf(first, 'a'), ...hitsOf(late, 'b')]);
    expect([...new Set(anew.lines().map((hit) => hit.record[F.CORRELATION_ID]))]).toEqual(['req-b']);
    expect(window.merge(fresh, [])).toBe(false);
  });

  it('asks for a new ranking when a full pass filled the window and a late line makes a request older', () => {
    const late = (limit: number) => {
      const first = new LogWriter();
      first.line(9000, 'api', 'api-1', EVENTS.NGINX_ACCESS, { [F.CORRELATION_ID]: 'req-a' });
      const window = new LiveWindow(limit, undefined);
      window.reset(hitsOf(first, 'a'));
      const next = new LogWriter();
      next.line(8000, 'api', 'api-1', EVENTS.HTTP_REQUEST_RECEIVED, { [F.CORRELATION_ID]: 'req-a' });
      return window.merge(window.arrived(hitsOf(next, 'b')).fresh, []);
    };
    // With room left, the full pass read every request that ranks: none can be missing.
    expect(late(2)).toBe(true);
    // A full pass that stopped at the limit may have left a request between 8000 and 9000 unread.
    expect(late(1)).toBe(false);
  });
});
