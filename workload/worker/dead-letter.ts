/**
 * Dead letters: the record kept of a task that failed for good, and their bounded retention.
 * Nothing consumes the dead-letter queue (it is for people), so its jobs stay waiting forever
 * unless trimmed: after each new dead letter the oldest beyond the count and every one past the
 * age are removed. The failed job itself (what GET /api/v1/tasks/:id reads) keeps the same
 * capped payload instead of the whole one.
 */
import type { Job, Queue } from 'bullmq';
import { DEAD_LETTER_PAYLOAD_CHARS, type DeadLetterJobData, type TaskJobData } from '../queue/contract.ts';
import type { DeadLetterRetention } from './config.ts';

/** The task's data as JSON, cut to {@link DEAD_LETTER_PAYLOAD_CHARS} characters. */
function cappedPayload(data: unknown): { payload: string; payload_chars: number; truncated: boolean } {
  const json = JSON.stringify(data) ?? 'null';
  const truncated = json.length > DEAD_LETTER_PAYLOAD_CHARS;
  return {
    payload: truncated ? json.slice(0, DEAD_LETTER_PAYLOAD_CHARS) : json,
    payload_chars: json.length,
    truncated,
  };
}

/** The dead letter of a job that has failed for good. Pure. */
export function deadLetterRecord(
  job: Pick<Job<TaskJobData>, 'id' | 'data' | 'queueName' | 'attemptsStarted' | 'finishedOn'>,
  error: Error,
  now: number,
): DeadLetterJobData {
  const { data, ...task } = job.data;
  const code = (error as { code?: unknown }).code;
  return {
    ...task,
    original_task_id: String(job.id),
    original_queue: job.queueName,
    attempts: job.attemptsStarted,
    failed_reason: error.message,
    ...(typeof code === 'string' ? { error_code: code } : {}),
    failed_at: job.finishedOn ?? now,
    ...cappedPayload(data),
  };
}

/**
 * The task data a failed job keeps once dead-lettered: the capped copy, so a failed task costs
 * Redis a few KiB for its retention instead of its whole payload. It cannot be retried from
 * there; the client resubmits.
 */
export function failedJobData(data: TaskJobData): TaskJobData {
  return { ...data, data: { dead_lettered: true, ...cappedPayload(data.data) } };
}

/** Remove dead letters past the retention: older than maxAgeS, then the oldest beyond maxCount. */
export async function trimDeadLetters(queue: Queue<DeadLetterJobData>, retention: DeadLetterRetention): Promise<void> {
  // Nothing takes dead letters, so they all sit in the wait list, newest first.
  await queue.clean(retention.maxAgeS * 1000, 0, 'wait');
  const excess = (await queue.getWaitingCount()) - retention.maxCount;
  // clean() with a limit takes from the old end of the list; grace 0 admits every age.
  if (excess > 0) await queue.clean(0, excess, 'wait');
}
