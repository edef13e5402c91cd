/**
 * Step: takeovers. An idempotency claim whose lease ran out and which another request took
 * over: the taker's trace names the request it took over from (whose work may still have been
 * running), and that request's trace names the taker. When the first request later found its
 * claim gone (`idempotency.claim_lost`), both say so.
 */
import { EVENTS, F } from '../../../contract/vocabulary.ts';
import { str } from '../fields.ts';
import type { WorkLine } from '../lines.ts';
import type { Takeover } from '../types.ts';

/** Takeovers among a trace's lines (in trace order) that `cid` made or suffered. */
export function collectTakeovers(lines: readonly WorkLine[], cid: string): Takeover[] {
  const lost = lines.filter((line) => line.action === EVENTS.IDEMPOTENCY_CLAIM_LOST);
  const out: Takeover[] = [];
  for (const line of lines) {
    if (line.action !== EVENTS.IDEMPOTENCY_TAKEN_OVER) continue;
    const original = str(line.record, F.ORIGINAL_CORRELATION_ID);
    const direction = line.correlationId === cid ? 'took_over' : original === cid ? 'taken_from' : undefined;
    if (direction === undefined) continue;
    const key = str(line.record, F.IDEMPOTENCY_KEY);
    const claimLost = lost.find(
      (l) => l.correlationId === original && str(l.record, F.IDEMPOTENCY_KEY) === key && l.at >= line.at,
    );
    out.push({
      direction,
      at: line.at,
      correlationId: line.correlationId,
      originalCorrelationId: original,
      taskId: str(line.record, F.TASK_ID),
      idempotencyKey: key,
      claimLostAt: claimLost?.at,
      lineId: line.id,
    });
  }
  return out;
}
