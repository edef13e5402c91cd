import { describe, expect, it } from 'vitest';
import { buildTrace } from '../../explorer/model/build-trace.ts';
import { traceToRows } from '../../explorer/model/rows.ts';
import { duplicatesScenario, T0 } from './fixtures.ts';

const NOW = T0 + 60_000;

describe('duplicates blocked', () => {
  it('marks an idempotency replay as a duplicate pointing at the original request and task', () => {
    const trace = buildTrace(duplicatesScenario().hits(), { correlationId: 'replay-req', now: NOW, source: 'files' });
    expect(trace.tasks).toEqual([]);
    expect(
      trace.duplicates.map((d) => [d.kind, d.direction, d.originalTaskId, d.originalCorrelationId, d.idempotencyKey]),
    ).toEqual([['idempotency_replay', 'blocked', 'orig-task', 'orig-req', 'key-1']]);
    expect(trace.outcome.status).toBe('duplicate');
    const row = traceToRows(trace).find((r) => r.kind === 'duplicate');
    expect(row?.original).toEqual({ correlationId: 'orig-req', taskId: 'orig-task' });
    expect(row?.label).toContain('idempotency replay → original task orig-task');
  });

  it('marks in-flight conflicts and payload mismatches the same way', () => {
    const w = duplicatesScenario();
    for (const [cid, kind] of [
      ['conflict-req', 'in_flight_conflict'],
      ['mismatch-req', 'payload_mismatch'],
    ] as const) {
      const trace = buildTrace(w.hits(), { correlationId: cid, now: NOW, source: 'files' });
      expect(trace.duplicates.map((d) => [d.kind, d.originalTaskId])).toEqual([[kind, 'orig-task']]);
    }
  });

  it('marks lock contention and a cache hit on the duplicate job, inside its attempt', () => {
    const trace = buildTrace(duplicatesScenario().hits(), { correlationId: 'other-req', now: NOW, source: 'files' });
    expect(trace.tasks.map((t) => t.taskId)).toEqual(['other-task']);
    expect(trace.duplicates.map((d) => [d.kind, d.taskId, d.originalTaskId])).toEqual([
      ['lock_contended', 'other-task', 'orig-task'],
      ['result_cache_hit', 'other-task', 'orig-task'],
    ]);
    const rows = traceToRows(trace);
    const attemptIndex = rows.findIndex((r) => r.kind === 'attempt');
    expect(rows[attemptIndex + 1]?.kind).toBe('duplicate');
    expect(rows[attemptIndex + 1]?.label).toContain('lock portfolio:p-42');
  });

  it('shows, on the original, every duplicate that pointed at it, grouped by idempotency key', () => {
    const trace = buildTrace(duplicatesScenario().hits(), { correlationId: 'orig-req', now: NOW, source: 'files' });
    const incoming = trace.duplicates.filter((d) => d.direction === 'incoming');
    expect(incoming.map((d) => d.correlationId)).toEqual([
      'conflict-req',
      'other-req',
      'other-req',
      'replay-req',
      'mismatch-req',
    ]);
    const rows = traceToRows(trace);
    const groups = rows.filter((r) => r.kind === 'duplicate' && r.depth === 0).map((r) => r.label);
    expect(groups).toEqual([
      '3 duplicate(s) blocked pointing here · key key-1',
      '1 duplicate(s) blocked pointing here · (lock contended)',
      '1 duplicate(s) blocked pointing here · (result cache hit)',
    ]);
    // Jumping from an incoming duplicate goes to the duplicate's own request.
    const replayRow = rows.find((r) => r.kind === 'duplicate' && r.depth === 1 && r.label.includes('replay'));
    expect(replayRow?.original?.correlationId).toBe('replay-req');
  });
});
