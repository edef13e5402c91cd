/**
 * Step: duplicates. The blocked duplicates this trace was (it sent a request or ran a job
 * that was turned away) and those that point at it (others turned away because of it).
 */
import { DUPLICATE_EVENTS, F } from '../../../contract/vocabulary.ts';
import { str } from '../fields.ts';
import type { WorkLine } from '../lines.ts';
import type { Duplicate } from '../types.ts';

/** Duplicates among `lines` (duplicate lines in trace order) that this trace blocked or that point at it. */
export function collectDuplicates(lines: readonly WorkLine[], cid: string, taskIds: ReadonlySet<string>): Duplicate[] {
  const out: Duplicate[] = [];
  for (const line of lines) {
    const originalTaskId = str(line.record, F.ORIGINAL_TASK_ID);
    const originalCorrelationId = str(line.record, F.ORIGINAL_CORRELATION_ID);
    const mine = line.correlationId === cid;
    // The original request, when named, is the one owner: a task shared by two requests (an
    // idempotency takeover reuses the task id) must not show every duplicate in both traces.
    const pointsHere =
      originalCorrelationId !== undefined
        ? originalCorrelationId === cid
        : originalTaskId !== undefined && taskIds.has(originalTaskId);
    if (!mine && !pointsHere) continue;
    out.push({
      kind: DUPLICATE_EVENTS[line.action as keyof typeof DUPLICATE_EVENTS],
      action: line.action,
      at: line.at,
      correlationId: line.correlationId,
      // On a replayed request task_id names the original; only a job's own lines name itself.
      taskId: line.isTask ? line.taskId : undefined,
      originalTaskId,
      originalCorrelationId,
      idempotencyKey: str(line.record, F.IDEMPOTENCY_KEY),
      lockResource: str(line.record, F.LOCK_RESOURCE),
      direction: mine ? 'blocked' : 'incoming',
      lineId: line.id,
    });
  }
  return out;
}
