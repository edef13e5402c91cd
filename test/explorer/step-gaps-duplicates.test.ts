import { describe, expect, it } from 'vitest';
import { mergeOrdered, ParsedLines } from '../../explorer/model/lines.ts';
import { collectDuplicates } from '../../explorer/model/steps/duplicates.ts';
import { SHIPPER_LAG_WINDOW_MS, shipperLagGap } from '../../explorer/model/steps/gaps.ts';
import { isInFlight } from '../../explorer/model/steps/outcome.ts';
import type { TaskTrace } from '../../explorer/model/types.ts';
import { duplicatesScenario, T0 } from './fixtures.ts';

describe('step: duplicates', () => {
  it('says which duplicates the trace was and which point at it', () => {
    const lines = new ParsedLines('other-req').add(duplicatesScenario().hits()).lines;
    const dups = mergeOrdered([lines.filter((l) => l.isDuplicate)]);
    const mine = collectDuplicates(dups, 'other-req', new Set(['other-task']));
    expect(mine.map((d) => [d.kind, d.direction, d.taskId])).toEqual([
      ['lock_contended', 'blocked', 'other-task'],
      ['result_cache_hit', 'blocked', 'other-task'],
    ]);
    const original = collectDuplicates(dups, 'orig-req', new Set(['orig-task']));
    expect(original.every((d) => d.direction === 'incoming')).toBe(true);
    expect(original).toHaveLength(5);
    expect(collectDuplicates(dups, 'unrelated', new Set())).toEqual([]);
  });
});

describe('step: gaps', () => {
  it('names shipper lag only while the newest line is younger than the window', () => {
    expect(shipperLagGap(T0, T0 + 1500)?.message).toBe(
      'shipper lag: newest lines may not be indexed yet (newest line 1.50 s ago)',
    );
    expect(shipperLagGap(T0, T0 + SHIPPER_LAG_WINDOW_MS)).toBeUndefined();
    expect(shipperLagGap(Number.NEGATIVE_INFINITY, T0)).toBeUndefined();
  });
});

describe('step: outcome', () => {
  const queued = (lastAt: number): TaskTrace => ({
    taskId: 't',
    taskType: undefined,
    queue: undefined,
    priority: undefined,
    enqueuedAt: lastAt,
    enqueueLineId: undefined,
    enqueuedBy: undefined,
    alreadyEnqueued: [],
    attempts: [],
    outcome: 'queued',
    endedAt: undefined,
    deadLetteredAt: undefined,
    polls: [],
    lineIds: [],
  });

  it('is in flight while a queued task was active within the stale limit, and not after', () => {
    expect(isInFlight([], [queued(T0)], T0 + 1000, 120_000)).toBe(true);
    expect(isInFlight([], [queued(T0)], T0 + 120_001, 120_000)).toBe(false);
    expect(isInFlight([], [{ ...queued(T0), outcome: 'succeeded' }], T0 + 1000, 120_000)).toBe(false);
  });
});
