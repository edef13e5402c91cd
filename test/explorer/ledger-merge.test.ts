import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENTS, F, type LogRecord } from '../../contract/vocabulary.ts';
import { RequestLedger } from '../../explorer/model/request-list.ts';
import { deadLettered, duplicatesScenario, happyPath } from './fixtures.ts';

/**
 * Lines that exercise every rule of the fold: duplicates, dead letters, retries, running and
 * queued work, a reused correlation id, queue-depth readings, attempt events in one
 * millisecond, events without a worker name, a second enqueue line naming another queue.
 */
function lines(): LogRecord[] {
  const w = duplicatesScenario();
  happyPath(w);
  deadLettered(w);
  w.post({ ms: 4000, cid: 'req-queued', taskId: 'task-queued', queue: 'low', taskType: 'stress_test' });
  w.post({ ms: 4100, cid: 'req-running', taskId: 'task-running', queue: 'medium' });
  w.attempt({ ms: 4120, cid: 'req-running', taskId: 'task-running', worker: 'worker-3', attempt: 1, die: true });
  w.post({ ms: 4200, cid: 'req-retrying', taskId: 'task-retrying', key: 'key-1' });
  w.attempt({
    ms: 4220,
    cid: 'req-retrying',
    taskId: 'task-retrying',
    worker: 'worker-1',
    attempt: 1,
    fail: 'feed timed out',
    retryDelayMs: 0,
  });
  w.post({ ms: 4300, cid: 'req-retrying', taskId: 'task-retrying-2', key: 'key-2', status: 202 });
  w.line(4400, 'worker', 'worker-2', EVENTS.TASK_STARTED, {
    [F.CORRELATION_ID]: 'req-nameless',
    [F.TASK_ID]: 'task-nameless',
    [F.TASK_ATTEMPT]: 1,
  });
  const nameless = w.line(4400, 'worker', 'worker-2', EVENTS.TASK_FAILED, {
    [F.CORRELATION_ID]: 'req-nameless',
    [F.TASK_ID]: 'task-nameless',
    [F.ERROR_CODE]: 'A',
  });
  delete nameless[F.SERVICE_INSTANCE];
  const retry = w.line(4400, 'worker', 'worker-3', EVENTS.TASK_RETRY_SCHEDULED, {
    [F.CORRELATION_ID]: 'req-nameless',
    [F.TASK_ID]: 'task-nameless',
    [F.ERROR_CODE]: 'B',
  });
  delete retry[F.SERVICE_INSTANCE];
  w.line(4500, 'api', 'api-1', EVENTS.TASK_ENQUEUED, {
    [F.CORRELATION_ID]: 'req-nameless',
    [F.TASK_ID]: 'task-nameless',
    [F.TASK_QUEUE]: 'high',
    [F.TASK_TYPE]: 'a',
  });
  w.line(4500, 'api', 'api-2', EVENTS.TASK_ENQUEUED, {
    [F.CORRELATION_ID]: 'req-nameless',
    [F.TASK_ID]: 'task-nameless',
    [F.TASK_QUEUE]: 'low',
    [F.TASK_TYPE]: 'b',
  });
  w.line(4600, 'api', 'api-1', EVENTS.QUEUE_DEPTH, { [F.QUEUE_DEPTH]: 3 });
  w.line(4600, 'api', 'api-2', EVENTS.QUEUE_DEPTH, { [F.QUEUE_DEPTH]: 4 });
  return w.hits().map((hit) => hit.record);
}

/** What a ledger shows: its rows, its tasks, its lines and queue depth. */
function shown(ledger: RequestLedger) {
  const byId = <T extends { correlationId?: string; taskId?: string }>(items: T[]) =>
    items.sort((a, b) => String(a.correlationId ?? a.taskId).localeCompare(String(b.correlationId ?? b.taskId)));
  return { rows: byId(ledger.summaries()), tasks: ledger.tasks(), lines: ledger.lines, depth: ledger.queueDepth() };
}

describe('merging ledgers read in parts', () => {
  it('gives what one ledger of all the lines gives, for any order of lines and any cut into parts', () => {
    const all = lines();
    fc.assert(
      fc.property(
        fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length }),
        fc.uniqueArray(fc.integer({ min: 1, max: all.length - 1 }), { maxLength: 3 }),
        (ordered, cuts) => {
          const whole = new RequestLedger();
          for (const record of ordered) whole.add(record);
          const bounds = [0, ...[...cuts].sort((a, b) => a - b), ordered.length];
          const parts = bounds.slice(1).map((end, i) => {
            const part = new RequestLedger();
            for (const record of ordered.slice(bounds[i], end)) part.add(record);
            // Across a thread the state arrives as a structured clone.
            return structuredClone(part.state());
          });
          const merged = new RequestLedger();
          for (const part of parts) merged.merge(part);
          expect(shown(merged)).toEqual(shown(whole));
        },
      ),
      { numRuns: 300 },
    );
  });
});
