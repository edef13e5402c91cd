import { describe, expect, it } from 'vitest';
import { EVENTS, F, NS_PER_MS } from '../../contract/vocabulary.ts';
import { buildTrace } from '../../explorer/model/build-trace.ts';
import { row, traceToRows } from '../../explorer/model/rows.ts';
import { renderTracePlain } from '../../explorer/output/plain.ts';
import { LogWriter, T0 } from './fixtures.ts';

const NOW = T0 + 60_000;

/** A POST whose API's clock is `apiOffset` ms off nginx's (negative: behind). */
function skewedApi(apiOffset: number): LogWriter {
  const w = new LogWriter();
  const cid = 'skewed';
  const http = { [F.CORRELATION_ID]: cid, [F.HTTP_METHOD]: 'POST', [F.URL_PATH]: '/api/v1/tasks' };
  w.line(1001 + apiOffset, 'api', 'api-1', EVENTS.HTTP_REQUEST_RECEIVED, http);
  w.line(1002 + apiOffset, 'api', 'api-1', EVENTS.TASK_ENQUEUED, { [F.CORRELATION_ID]: cid, [F.TASK_ID]: 't' });
  w.line(1004 + apiOffset, 'api', 'api-1', EVENTS.HTTP_REQUEST_COMPLETED, {
    ...http,
    [F.HTTP_STATUS]: 202,
    [F.EVENT_DURATION]: 3 * NS_PER_MS,
  });
  w.nginx(1005, cid, 'POST', '/api/v1/tasks', 202, 0.006);
  return w;
}

/** The original request, a conflict whose idempotency key looks like a label, and a keyless lock contention. */
function parenthesisedKey(): LogWriter {
  const w = new LogWriter();
  const original = { [F.ORIGINAL_TASK_ID]: 'orig-task', [F.ORIGINAL_CORRELATION_ID]: 'orig-req' };
  w.post({ ms: 0, cid: 'orig-req', taskId: 'orig-task' });
  w.post({
    ms: 5,
    cid: 'conflict-req',
    status: 409,
    key: '(lock contended)',
    between: (ms) =>
      w.line(ms, 'api', 'api-1', EVENTS.IDEMPOTENCY_IN_FLIGHT_CONFLICT, {
        [F.CORRELATION_ID]: 'conflict-req',
        [F.IDEMPOTENCY_KEY]: '(lock contended)',
        ...original,
      }),
  });
  w.line(130, 'worker', 'worker-2', EVENTS.LOCK_CONTENDED, {
    [F.CORRELATION_ID]: 'other-req',
    [F.TASK_ID]: 'other-task',
    [F.LOCK_RESOURCE]: 'portfolio:p-42',
    ...original,
  });
  return w;
}

describe('waterfall rows', () => {
  it('signs the clock correction on the API row as on every other row', () => {
    const behind = buildTrace(skewedApi(-40).hits(), { correlationId: 'skewed', now: NOW, source: 'files' });
    expect(behind.skew.map((s) => s.shiftMs)).toEqual([38]);
    const api = traceToRows(behind).find((r) => r.kind === 'api');
    expect(api?.note).toBe('clock +38 ms (skew corrected)');
    const enqueue = traceToRows(behind).find((r) => r.kind === 'enqueue');
    expect(enqueue?.note).toBe(api?.note);

    const ahead = buildTrace(skewedApi(40).hits(), { correlationId: 'skewed', now: NOW, source: 'files' });
    const shift = ahead.skew[0]?.shiftMs ?? 0;
    expect(shift).toBeLessThan(0);
    expect(traceToRows(ahead).find((r) => r.kind === 'api')?.note).toMatch(/^clock -\d+ ms \(skew corrected\)$/);
  });

  it('keeps the label of an idempotency key that starts with "(" and never merges it with keyless duplicates', () => {
    const trace = buildTrace(parenthesisedKey().hits(), { correlationId: 'orig-req', now: NOW, source: 'files' });
    const groups = traceToRows(trace).filter((r) => r.kind === 'duplicate' && r.depth === 0);
    expect(groups.map((r) => r.label)).toEqual([
      '1 duplicate(s) blocked pointing here · key (lock contended)',
      '1 duplicate(s) blocked pointing here · (lock contended)',
    ]);
    expect(new Set(groups.map((r) => r.key)).size).toBe(2);
    const plain = renderTracePlain(trace);
    expect(plain).toContain('\n  (lock contended)\n');
    expect(plain).toContain('\n  (no idempotency key: lock contended)\n');
  });

  it('makes a point row unless told an end, with no error, marker, note or lines by default', () => {
    expect(row({ key: 'k', kind: 'gap', depth: 1, label: 'l', lane: 'x', start: 5 })).toEqual({
      key: 'k',
      kind: 'gap',
      depth: 1,
      label: 'l',
      lane: 'x',
      start: 5,
      end: 5,
      isError: false,
      marker: undefined,
      original: undefined,
      note: undefined,
      lineIds: [],
    });
    expect(row({ key: 'k', kind: 'attempt', depth: 1, label: 'l', lane: 'x', start: 5, end: 9 }).end).toBe(9);
  });
});
