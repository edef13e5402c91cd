import { describe, expect, it } from 'vitest';
import { parseSince } from '../../explorer/model/list-view.ts';
import { summariseRequests } from '../../explorer/model/request-list.ts';
import { deadLettered, duplicatesScenario, happyPath, T0 } from './fixtures.ts';

function recent() {
  const w = duplicatesScenario();
  happyPath(w);
  deadLettered(w);
  return w.hits();
}

describe('the list of recent requests', () => {
  it('lists one entry per request, newest first, leaving status polls out', () => {
    const list = summariseRequests(recent());
    expect(list.map((s) => s.correlationId)).toEqual([
      'mismatch-req',
      'replay-req',
      'other-req',
      'req-dlq-1',
      'conflict-req',
      'orig-req',
      'req-happy-1',
    ]);
    const happy = list.find((s) => s.correlationId === 'req-happy-1');
    expect(happy).toMatchObject({
      method: 'POST',
      route: '/api/v1/tasks',
      status: 202,
      tasks: 1,
      duplicates: 0,
      errors: 0,
    });
    expect(happy?.durationMs).toBe(5);
    expect(list.find((s) => s.correlationId === 'other-req')?.duplicates).toBe(2);
  });

  it('keeps only failed requests with --status failed', () => {
    const list = summariseRequests(recent(), { status: 'failed' });
    expect(list.map((s) => s.correlationId)).toEqual(['req-dlq-1']);
    expect(list[0]?.errors).toBe(3);
  });

  it('filters by status class, by service instance and by time', () => {
    expect(summariseRequests(recent(), { status: '4xx' }).map((s) => s.status)).toEqual([422, 409]);
    expect(summariseRequests(recent(), { service: 'worker-3' }).map((s) => s.correlationId)).toEqual(['req-dlq-1']);
    expect(summariseRequests(recent(), { sinceMs: T0 + 1000 }).map((s) => s.correlationId)).toEqual([
      'mismatch-req',
      'replay-req',
    ]);
  });

  it('reads --since as a duration back from now or as a date', () => {
    expect(parseSince('15m', 1_000_000)).toBe(100_000);
    expect(parseSince('2026-11-22T10:00:00Z', 0)).toBe(Date.parse('2026-11-22T10:00:00Z'));
    expect(parseSince('soon', 0)).toBeUndefined();
  });
});
