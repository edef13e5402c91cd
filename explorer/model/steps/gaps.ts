/**
 * Step: gaps. What should be in the logs and is not, named: an nginx line with no API line
 * behind it, a job enqueued and never started, an attempt that never finished, and (for
 * Elasticsearch) lines the shipper may not have indexed yet.
 */
import { formatClock, formatDuration } from '../fields.ts';
import type { Gap, RequestBranch, TaskTrace } from '../types.ts';

/** Elasticsearch refreshes every second and the shipper batches: newer lines may be missing. */
export const SHIPPER_LAG_WINDOW_MS = 60_000;

/** Gaps in the requests and tasks: `now` and `staleAfterMs` decide what is overdue. */
export function nameGaps(
  requests: readonly RequestBranch[],
  tasks: readonly TaskTrace[],
  now: number,
  staleAfterMs: number,
): Gap[] {
  const gaps: Gap[] = [];
  for (const request of requests) {
    if (request.nginx && request.apiInstance === undefined) {
      const upstream = request.nginx.upstream ? ` (upstream ${request.nginx.upstream})` : '';
      gaps.push({
        kind: 'no_api_line',
        message: `nginx ${request.nginx.status ?? '?'} at ${formatClock(request.nginx.endedAt)}, no API line${upstream}`,
        at: request.nginx.endedAt,
      });
    }
  }
  for (const task of tasks) {
    if (
      task.attempts.length === 0 &&
      task.enqueuedAt !== undefined &&
      task.outcome === 'queued' &&
      now - task.enqueuedAt > staleAfterMs
    ) {
      gaps.push({
        kind: 'never_started',
        message: `task ${task.taskId} enqueued${task.queue ? ` on ${task.queue}` : ''} at ${formatClock(task.enqueuedAt)}, never started`,
        taskId: task.taskId,
        at: task.enqueuedAt,
      });
    }
    task.attempts.forEach((attempt, i) => {
      const later = i < task.attempts.length - 1;
      const stuck = attempt.result === 'running' && !later && now - attempt.startedAt > staleAfterMs;
      if (attempt.result === 'lost' || attempt.result === 'stalled' || stuck) {
        const how = attempt.result === 'stalled' ? '; reported stalled' : later ? '; the job was redelivered' : '';
        gaps.push({
          kind: 'never_finished',
          message: `attempt ${attempt.number} of task ${task.taskId} started on ${attempt.instance} at ${formatClock(attempt.startedAt)}, never finished (worker died?)${how}`,
          taskId: task.taskId,
          at: attempt.startedAt,
        });
      }
    });
  }
  return gaps;
}

/**
 * The shipper-lag gap, for an incomplete trace read from Elasticsearch whose newest line is
 * recent enough that lines after it may still be on their way.
 */
export function shipperLagGap(newest: number, now: number): Gap | undefined {
  if (!Number.isFinite(newest) || now - newest >= SHIPPER_LAG_WINDOW_MS) return undefined;
  return {
    kind: 'shipper_lag',
    message: `shipper lag: newest lines may not be indexed yet (newest line ${formatDuration(now - newest)} ago)`,
    at: newest,
  };
}
